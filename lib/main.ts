/**
 * The package entry (`require('torchlet')`, `import ... from 'torchlet'`): everything lib/index.ts exports, plus
 * a default export for `import torch from 'torchlet'`, which is that same module object (so the default and the
 * named exports never differ). The default lives here, not in lib/index.ts, so that no module imports itself.
 */
import * as torch from './index';

export * from './index';
export default torch;
