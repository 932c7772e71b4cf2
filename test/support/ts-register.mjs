// `node --import ./test/support/ts-register.mjs file.ts` runs a TypeScript file of this repo
// (see ts-hooks.mjs). Test worker processes use it; it needs no build of the library.
import { register } from 'node:module';
import { __decorate, __metadata, __param } from 'tslib';

// The transform emits `babelHelpers.decorate(...)` etc. for legacy decorators; tslib has the same helpers.
globalThis.babelHelpers = { decorate: __decorate, decorateMetadata: __metadata, decorateParam: __param };
register('./ts-hooks.mjs', import.meta.url);
