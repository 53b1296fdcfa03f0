"""Keras 3 reference runs for the differential test (scripts/keras/check.ts).

    python scripts/keras/reference.py cases.json results.json

Reads a JSON list of cases, and for each builds a Keras 3 Sequential of Dense layers (JAX
backend, float32) with the given initial weights, compiles it with the given loss, optimizer
and metrics, trains it with shuffle=False, the given batch size and epochs, then writes one
result per case: the per-epoch history (loss and metrics), the final weights (Keras order
[kernel, bias, ...]), evaluate() on the training data and predict() on it.

A case:
    {
      "name": "mse-sgd-b3",
      "inputDim": 3,
      "layers": [{"units": 4, "activation": "relu", "keras": "relu"}, ...],
      "weights": [kernel0 (nested [in][out]), bias0, ...],
      "x": [[...], ...], "y": [[...], ...] (class indices [..] for the sparse loss),
      "loss": "categoricalCrossentropy",            (our name or a Keras name)
      "metrics": ["mae"],
      "optimizer": {"name": "sgd", "config": {"learningRate": 0.1, "momentum": 0.9}},
      "batchSize": 3, "epochs": 20
    }
`keras` in a layer is the Keras activation (defaults to `activation`); the special names in
CUSTOM_ACTIVATIONS are written here. Optimizer config keys may be camelCase or snake_case.
A case that Keras cannot run gets {"name", "error"} instead of results; the run goes on.
"""

import os
import sys

# Before keras / jax are imported: JAX on the CPU, float32 everywhere, no fast math.
os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ["JAX_ENABLE_X64"] = "0"
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_enable_fast_math=false").strip()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import json  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

import jax  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_default_matmul_precision", "highest")

import keras  # noqa: E402
from keras import ops  # noqa: E402

keras.config.set_floatx("float32")
keras.config.set_epsilon(1e-7)
keras.utils.set_random_seed(0)


def half_squared_error(y_true, y_pred):
    """Our halfSquaredError (the seeds' E = sum (y - t)^2 / 2 per sample); Keras averages over the batch."""
    return ops.sum(ops.square(y_pred - y_true), axis=-1) / 2.0


LOSSES = {
    "mse": "mean_squared_error",
    "meanSquaredError": "mean_squared_error",
    "mae": "mean_absolute_error",
    "meanAbsoluteError": "mean_absolute_error",
    "binaryCrossentropy": "binary_crossentropy",
    "categoricalCrossentropy": "categorical_crossentropy",
    "sparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
    "halfSquaredError": half_squared_error,
    "half_squared_error": half_squared_error,
}

METRICS = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "binaryCrossentropy": "binary_crossentropy",
    "categoricalCrossentropy": "categorical_crossentropy",
    "binaryAccuracy": "binary_accuracy",
    "categoricalAccuracy": "categorical_accuracy",
    "sparseCategoricalAccuracy": "sparse_categorical_accuracy",
    "sparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
}


def hard_sigmoid_keras2(x):
    """Keras 2 / tfjs hard sigmoid, clip(0.2 x + 0.5, 0, 1): the library's hardSigmoid defaults."""
    return ops.clip(0.2 * x + 0.5, 0.0, 1.0)


CUSTOM_ACTIVATIONS = {
    "hard_sigmoid_keras2": hard_sigmoid_keras2,
}

# Keras 3 optimizers by the generic name of a case, with the config keys each takes (every Keras 3
# optimizer also takes weight_decay: w -= w * weight_decay * learning_rate before the update).
OPTIMIZERS = {
    "sgd": (keras.optimizers.SGD, {"learning_rate", "momentum", "nesterov", "weight_decay"}),
    "adam": (keras.optimizers.Adam, {"learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad", "weight_decay"}),
    "adamw": (keras.optimizers.AdamW, {"learning_rate", "weight_decay", "beta_1", "beta_2", "epsilon", "amsgrad"}),
    "rmsprop": (keras.optimizers.RMSprop, {"learning_rate", "rho", "momentum", "epsilon", "centered", "weight_decay"}),
    "adagrad": (keras.optimizers.Adagrad, {"learning_rate", "initial_accumulator_value", "epsilon", "weight_decay"}),
}


def snake(key):
    """learningRate -> learning_rate, beta1 -> beta_1, beta_2 stays."""
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()
    return re.sub(r"^(beta)(\d)$", r"\1_\2", s)


def make_optimizer(spec):
    name = str(spec.get("name", "sgd")).lower()
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r} (known: {', '.join(OPTIMIZERS)})")
    cls, keys = OPTIMIZERS[name]
    config = {}
    for k, v in (spec.get("config") or {}).items():
        sk = snake(k)
        if sk not in keys:
            raise ValueError(f"optimizer {name}: unknown config key {k!r} (known: {', '.join(sorted(keys))})")
        config[sk] = v
    return cls(**config)


def make_activation(layer):
    name = layer.get("keras") or layer.get("activation") or "linear"
    return CUSTOM_ACTIVATIONS.get(name, name)


def to_list(a):
    return np.asarray(a, dtype=np.float64).tolist()


def run_case(case):
    layers = [keras.Input(shape=(case["inputDim"],), dtype="float32")]
    for i, layer in enumerate(case["layers"]):
        layers.append(keras.layers.Dense(layer["units"], activation=make_activation(layer), use_bias=True, name=f"dense_{i}"))
    model = keras.Sequential(layers)
    model.set_weights([np.asarray(w, dtype=np.float32) for w in case["weights"]])

    loss_name = case["loss"]
    loss = LOSSES.get(loss_name, loss_name)
    metrics = [METRICS.get(m, m) for m in case.get("metrics", [])]
    model.compile(optimizer=make_optimizer(case["optimizer"]), loss=loss, metrics=metrics)

    x = np.asarray(case["x"], dtype=np.float32)
    sparse = loss == "sparse_categorical_crossentropy"
    y = np.asarray(case["y"], dtype=np.int32 if sparse else np.float32)
    n = x.shape[0]

    started = time.time()
    hist = model.fit(x, y, batch_size=case["batchSize"], epochs=case["epochs"], shuffle=False, verbose=0)
    history = {"loss": to_list(hist.history["loss"])}
    for m, km in zip(case.get("metrics", []), metrics):
        key = km if isinstance(km, str) and km in hist.history else None
        if key is None:
            # Keras names a metric after the string given in compile().
            others = [k for k in hist.history if k != "loss"]
            key = others[len(history) - 1] if len(others) >= len(history) else None
        if key is not None:
            history[m] = to_list(hist.history[key])

    ev = model.evaluate(x, y, batch_size=n, verbose=0, return_dict=False)
    ev = [float(v) for v in (ev if isinstance(ev, (list, tuple)) else [ev])]
    pred = model.predict(x, batch_size=n, verbose=0)
    return {
        "name": case["name"],
        "history": history,
        "weights": [to_list(w) for w in model.get_weights()],
        "evaluate": ev,
        "predict": to_list(pred),
        "seconds": time.time() - started,
    }


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        cases = json.load(f)
    out = {
        "keras": keras.__version__,
        "jax": jax.__version__,
        "backend": keras.backend.backend(),
        "floatx": keras.config.floatx(),
        "epsilon": keras.config.epsilon(),
        "results": [],
    }
    tty = sys.stderr.isatty()
    for i, case in enumerate(cases):
        if tty:
            print(f"\r\033[Kkeras {i + 1}/{len(cases)} {case.get('name')}", end="", file=sys.stderr, flush=True)
        try:
            out["results"].append(run_case(case))
        except Exception as e:  # noqa: BLE001 - reported per case, the run goes on
            out["results"].append({"name": case.get("name"), "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc(limit=3)})
        keras.backend.clear_session()
    if tty:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    with open(argv[2], "w") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
