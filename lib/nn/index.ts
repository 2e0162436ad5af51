/** torchlet.nn: modules by topic, as torch/nn/modules/; functional, init and utils. */
export { Parameter } from './parameter';
export { Module } from './modules/module';
export type { StateDict, IncompatibleKeys } from './modules/module';
export { Sequential, ModuleList, ModuleDict } from './modules/container';
export { Identity, Linear, Bilinear } from './modules/linear';
export { ReLU, Sigmoid, Tanh, SiLU, LeakyReLU, ELU, GELU, Softplus, Softmax, LogSoftmax } from './modules/activation';
// Issue 13, the remaining common layers:
export { Hardtanh, ReLU6, Hardsigmoid, Hardswish, Mish, SELU, CELU, GLU, LogSigmoid, Softsign, Tanhshrink, Softshrink, Hardshrink, Threshold, Softmin, PReLU } from './modules/activation';
export { MaxPool1d, AvgPool1d, AdaptiveMaxPool2d, AdaptiveAvgPool1d, AdaptiveMaxPool1d } from './modules/pooling';
export { InstanceNorm1d, InstanceNorm2d } from './modules/normalization';
export { EmbeddingBag } from './modules/sparse';
export type { EmbeddingBagModuleOptions } from './modules/sparse';
export { ConstantPad1d, ConstantPad2d, ConstantPad3d, ZeroPad2d, ReflectionPad1d, ReflectionPad2d, ReplicationPad1d, ReplicationPad2d } from './modules/padding';
export { Upsample, UpsamplingNearest2d, UpsamplingBilinear2d } from './modules/upsampling';
export { PixelShuffle, PixelUnshuffle } from './modules/pixelshuffle';
export { CosineSimilarity, PairwiseDistance } from './modules/distance';
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
