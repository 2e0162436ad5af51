/** torchlet.nn.utils */
export { clipGradNorm_, clipGradValue_ } from '../optim/clip';
