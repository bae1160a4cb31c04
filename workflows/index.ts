// The reward workflows (CONTRACT §5) are exported from here; the worker bundles this module.
export {};
