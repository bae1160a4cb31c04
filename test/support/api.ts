import type { ApiDependencies } from '../../api/app.js';

const unused = (what: string) => () => Promise.reject(new Error(`${what} is not used by this test`));

/** API dependencies whose every part fails loudly unless the test gives its own. */
export function apiDependencies(overrides: Partial<ApiDependencies> = {}): ApiDependencies {
  return {
    checkHealth: unused('checkHealth'),
    partnerCallbacks: {
      partners: new Map(),
      findReward: unused('findReward'),
      deliver: unused('deliver'),
    },
    ...overrides,
  };
}
