/** torchlet.nn.utils */
export { clipGradNorm_, clipGradValue_ } from './clip_grad';
export * as rnn from './rnn';
