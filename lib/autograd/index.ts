/** torchlet.autograd: backward, grad, gradcheck and the grad-mode switches, as torch.autograd. */
export { backward, grad } from './grad';
export { queueCallback } from './engine';
export type { PostAccumulateGradHook } from './engine';
export type { BackwardOptions, GradOptions, GradTensors } from './grad';
export { gradcheck, GradcheckError } from './gradcheck';
export type { GradcheckOptions } from './gradcheck';
export { noGrad, enableGrad, isGradEnabled } from './grad_mode';
export * from './function';
