"""Signs requests to partner callbacks as the partner would (CONTRACT §5), so schemathesis fuzzes their
bodies behind a valid signature instead of stopping at 401."""

import hashlib
import hmac
import json
import os
import time

import schemathesis
from schemathesis.core import NOT_SET

SECRET = os.environ["FUZZ_PARTNER_SECRET"].encode()


@schemathesis.hook
def before_call(ctx, case, kwargs):
    if "/v1/partners/" not in case.path:
        return
    if case.body is NOT_SET:
        raw = b""
    else:
        # Sent as these exact bytes, so the signature covers what the API reads.
        raw = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
        case.body = raw
    timestamp = str(int(time.time()))
    signature = hmac.new(SECRET, timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    case.headers = {**(case.headers or {}), "X-Timestamp": timestamp, "X-Signature": f"sha256={signature}"}
