/** torchlet.optim */
export { Optimizer } from './optimizer';
export type { OptimizerStateDict, ParamGroup } from './optimizer';
export { SGD, Adam, AdamW, RMSprop, Adagrad } from './algorithms';
export type { SGDOptions, AdamOptions, RMSpropOptions, AdagradOptions } from './algorithms';
export * as lrScheduler from './lr_scheduler';
