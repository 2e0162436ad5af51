/** torchlet.nn */
export { Parameter } from './parameter';
export { Module } from './module';
export type { StateDict, IncompatibleKeys } from './module';
export {
  Linear, Bilinear, Embedding, LayerNorm, Dropout, Identity, Flatten, Unflatten,
  ReLU, Sigmoid, Tanh, SiLU, LeakyReLU, ELU, GELU, Softplus, Softmax, LogSoftmax,
} from './layers';
export { Sequential, ModuleList, ModuleDict } from './containers';
export {
  Conv1d, Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm1d, BatchNorm2d, GroupNorm, Dropout2d,
} from './conv_layers';
export * as functional from './functional';
export * as init from './init';
export * as utils from './utils';
