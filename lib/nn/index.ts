/** torchlet.nn: modules by topic, as torch/nn/modules/; functional, init and utils. */
export { Parameter } from './parameter';
export { Module } from './modules/module';
export type { StateDict, IncompatibleKeys } from './modules/module';
export { Sequential, ModuleList, ModuleDict } from './modules/container';
export { Identity, Linear, Bilinear } from './modules/linear';
export { ReLU, Sigmoid, Tanh, SiLU, LeakyReLU, ELU, GELU, Softplus, Softmax, LogSoftmax } from './modules/activation';
export { Conv1d, Conv2d, ConvTranspose2d } from './modules/conv';
export type { PaddingMode } from './modules/conv';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './modules/pooling';
export { BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm } from './modules/normalization';
export { Dropout, Dropout2d } from './modules/dropout';
export { Embedding } from './modules/sparse';
export { Flatten, Unflatten } from './modules/flatten';
export * from './modules/loss';
export * as functional from './functional';
export * as init from './init';
export * as utils from './utils';
export * as parallel from './parallel';
