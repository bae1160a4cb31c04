import { z } from '@hono/zod-openapi';

/** An achievement as the app names it: id and the texts in the caller's language. */
export const achievementTexts = z.object({ id: z.string(), title: z.string(), description: z.string() });
