/** `npm run docs:data-model`: writes docs/data-model.md from the migrations. */
import { writeFileSync } from 'node:fs';
import { DATA_MODEL_PAGE, dataModelPage, migrationTexts } from '../platform/data-model.js';

writeFileSync(DATA_MODEL_PAGE, dataModelPage(migrationTexts()));
console.log(`wrote ${DATA_MODEL_PAGE.pathname}`);
