/** The model API: Sequential, Input, Dense, initialisers, SGD, History, save/load. */
import { Sequential } from './sequential';
import { modelToJSON, saveModel } from './serialize';

Sequential.prototype.toJSON = function (this: Sequential) {
  return modelToJSON(this);
};
Sequential.prototype.save = function (this: Sequential, target, options) {
  return saveModel(this, target, options);
};

export { Sequential, sequential } from './sequential';
export type { SequentialArgs, CompileArgs, FitArgs, WeightsLike } from './sequential';
export { Dense, Input, DenseLayer, InputLayer } from './layers';
export type { DenseConfig, InputConfig, Layer } from './layers';
export { initializers, Initializer } from './initializers';
export { Optimizer, SGD, sgd, adam, adamw, rmsprop, adagrad } from './optimizers';
export type { OptimizerConfig } from './optimizers';
export { Callback, EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, earlyStopping, reduceLROnPlateau, learningRateScheduler } from './callbacks';
export type { CallbackHooks, EarlyStoppingArgs, ReduceLROnPlateauArgs, TrainingContext } from './callbacks';
export { History } from './history';
export type { Logs } from './history';
export { setSeed } from './random';
export { loadModel, modelFromJSON } from './serialize';
export type { ModelJSON, SaveOptions, LoadOptions, SaveResult, IOHandler, ModelArtifacts } from './serialize';
