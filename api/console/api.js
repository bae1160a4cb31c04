import { language } from './i18n.js';
import { forgetProviderSession, providerSession, renewedToken } from './oidc.js';

const TOKEN = 'achievements-console-token';

/**
 * The signed-in person: signed in at the bank's identity provider (oidc.js), or the token they brought, and what
 * it says of them (the API checks it each call).
 */
export function session() {
  const signedIn = providerSession();
  if (signedIn) return signedIn;
  const token = sessionStorage.getItem(TOKEN);
  if (!token) return undefined;
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replaceAll('-', '+').replaceAll('_', '/')));
    return { token, sub: payload.sub, role: payload.role, expiresAt: new Date(payload.exp * 1000) };
  } catch {
    return undefined;
  }
}

export const signIn = (token) => sessionStorage.setItem(TOKEN, token.trim());
/** Forgets this tab's tokens (the provider's session stays: the header's sign-out ends that too). */
export function signOut() {
  sessionStorage.removeItem(TOKEN);
  forgetProviderSession();
}

/** An answer the API refused, in its problem+json detail's words (which name the first field to fix). */
export class Refused extends Error {
  constructor(status, problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
  }
}

/** Calls the API as the signed-in person; a refusal throws `Refused` with the API's own words. */
export async function call(method, path, body) {
  const headers = { Accept: 'application/json', 'Accept-Language': language() };
  await renewedToken();
  const current = session();
  if (current) headers.Authorization = `Bearer ${current.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Refused(response.status, answer);
  return answer;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);
