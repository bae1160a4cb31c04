import { z } from '@hono/zod-openapi';

/** An achievement as the app names it: id and the texts in the caller's language. */
export const achievementTexts = z.object({ id: z.string(), title: z.string(), description: z.string() });

/** When an achievement can be earned: the campaign window of its rule, if it has one. */
export const availability = z
  .object({
    state: z.enum(['upcoming', 'open', 'ended', 'closed']).openapi({
      description: 'closed: the rule’s budget across all clients is spent (since closedAt)',
    }),
    from: z.string().nullable().openapi({ description: 'When the campaign starts (events from then count)' }),
    until: z.string().nullable().openapi({ description: 'When it ends (events from then on do not count)' }),
    closedAt: z
      .string()
      .nullable()
      .openapi({ description: 'When its budget closed it (no unlock since is granted); null while open' }),
  })
  .openapi('Availability');
