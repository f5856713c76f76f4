"""PyTorch twins of bench/train.ts's architectures: training samples/s on one CPU thread (process CPU time),
or the peak memory of a training run (bench/train-memory.ts).

Run by bench/train.ts with Debian's /usr/bin/python3 (torch, numpy) and
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1; prints one JSON line per architecture.
Usage: python3 bench/train_torch.py SPEC_JSON  (a list of {name, plugin, params, input, batch, classes,
warmup, steps}); python3 bench/train_torch.py --memory SPEC_JSON (one {name, plugin, params, input, batch,
classes, examples, validation, epochs}: the peak RSS of training on an in-memory set, bench/train-memory.ts);
python3 bench/train_torch.py --parity SPEC_JSON (test accuracy per seed of training on given arrays, bench/parity.ts). Each model is the same layer stack as the clave plugin's defaults, same sizes
(convolutions channels-first here), so the work per sample is the same; the per-feature
standardisation layer of the tfjs models (an elementwise affine map) has no twin.
"""
import json
import sys
import time

import torch
import torch.nn as nn

torch.set_num_threads(1)


def peak_mb():
    """Peak resident set of this process in MB: VmHWM (ru_maxrss carries over exec the peak of the process
    that spawned this one, a bench parent that may be large)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Attention(nn.Module):
    """alpha = softmax_t(v^T tanh(W h_t + b)); returns sum_t alpha_t h_t."""

    def __init__(self, dim, units):
        super().__init__()
        self.w = nn.Linear(dim, units)
        self.v = nn.Linear(units, 1, bias=False)

    def forward(self, h):
        alpha = torch.softmax(self.v(torch.tanh(self.w(h))).squeeze(-1), dim=1)
        return torch.bmm(alpha.unsqueeze(1), h).squeeze(1)


def same_pool(dim):
    """tfjs max-pool 2 with padding "same": ceil(n / 2)."""
    return nn.MaxPool2d(2, ceil_mode=True) if dim == 2 else nn.MaxPool1d(2, ceil_mode=True)


class Lstm(nn.Module):
    """plugins/models/lstm.ts: LSTM 128 (sequences) → dropout 0.3 → LSTM 64 → dropout 0.3 → dense 64 ReLU → softmax."""

    def __init__(self, shape, classes):
        super().__init__()
        self.l1 = nn.LSTM(shape[1], 128, batch_first=True)
        self.l2 = nn.LSTM(128, 64, batch_first=True)
        self.drop = nn.Dropout(0.3)
        self.dense = nn.Linear(64, 64)
        self.out = nn.Linear(64, classes)

    def forward(self, x):
        h, _ = self.l1(x)
        h, _ = self.l2(self.drop(h))
        h = self.drop(h[:, -1])
        return self.out(torch.relu(self.dense(h)))


class BiLstmAttention(nn.Module):
    """plugins/models/bilstm_attention.ts (and _bn: batch norm, attention + average pooling, dense 128 → 64)."""

    def __init__(self, shape, classes, bn=False):
        super().__init__()
        self.lstm = nn.LSTM(shape[1], 64, batch_first=True, bidirectional=True)
        self.att = Attention(128, 64)
        self.bn = nn.BatchNorm1d(128) if bn else None
        if bn:
            self.head = nn.Sequential(nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.4), nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, classes))
        else:
            self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(128, classes))

    def forward(self, x):
        h, _ = self.lstm(x)
        if self.bn is None:
            return self.head(self.att(h))
        h = self.bn(h.transpose(1, 2)).transpose(1, 2)
        return self.head(torch.cat([self.att(h), h.mean(dim=1)], dim=1))


class Crnn(nn.Module):
    """plugins/models/crnn.ts: conv blocks 32, 64 (3x3 or 3, ReLU, max-pool 2 "same") on [time, mels],
    then a GRU/LSTM of 64 with input dropout 0.2 (tfjs also drops the recurrent state; torch's fused RNNs cannot)."""

    def __init__(self, shape, classes, conv="2d", rnn="gru"):
        super().__init__()
        t, f = shape
        self.conv = conv
        if conv == "2d":
            self.cnn = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), same_pool(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), same_pool(2))
            features = ((f + 1) // 2 + 1) // 2 * 64
        else:
            self.cnn = nn.Sequential(nn.Conv1d(f, 32, 3, padding=1), nn.ReLU(), same_pool(1), nn.Conv1d(32, 64, 3, padding=1), nn.ReLU(), same_pool(1))
            features = 64
        self.drop = nn.Dropout(0.2)
        self.rnn = (nn.GRU if rnn == "gru" else nn.LSTM)(features, 64, batch_first=True)
        self.out = nn.Linear(64, classes)

    def forward(self, x):
        if self.conv == "2d":
            h = self.cnn(x.unsqueeze(1))  # [B, 64, t, f]
            h = h.permute(0, 2, 3, 1).flatten(2)
        else:
            h = self.cnn(x.transpose(1, 2)).transpose(1, 2)
        h, _ = self.rnn(self.drop(h))
        return self.out(h[:, -1])


class CnnTokenAttention(nn.Module):
    """plugins/models/cnn_token_attention.ts: 20 time tokens, per token conv 16 → pool → conv 32 → pool →
    flatten → dense 128 ReLU, attention (64) over tokens, dense 64 ReLU, dropout 0.3, softmax."""

    def __init__(self, shape, classes, tokens=20):
        super().__init__()
        t, f = shape
        self.tokens, self.frames = tokens, t // tokens
        self.cnn = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), same_pool(2), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), same_pool(2))
        ft, ff = ((self.frames + 1) // 2 + 1) // 2, ((f + 1) // 2 + 1) // 2
        self.embed = nn.Linear(32 * ft * ff, 128)
        self.att = Attention(128, 64)
        self.head = nn.Sequential(nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, classes))

    def forward(self, x):
        b, _, f = x.shape
        h = x[:, : self.tokens * self.frames].reshape(b * self.tokens, 1, self.frames, f)
        h = torch.relu(self.embed(self.cnn(h).permute(0, 2, 3, 1).flatten(1))).reshape(b, self.tokens, 128)
        return self.head(self.att(h))


class Cnn2d(nn.Module):
    """plugins/models/cnn2d.ts, default: the course CNN, 4 x [conv 3x3 without bias -> batch norm -> ReLU ->
    max-pool 2] with 32-64-128-128 channels, global average pooling, dropout 0.3, linear.
    With params filters=[32, 64], batch_norm=false, pooling=flatten, block_dropout=0.3, dense_units=128 the
    plain layout: conv 3x3 + ReLU, max-pool 2 "same", dropout 0.3 per block, flatten, dense 128 ReLU, dropout 0.3."""

    def __init__(self, shape, classes, params):
        super().__init__()
        t, f = shape
        filters = params.get("filters", [32, 64, 128, 128])
        bn = params.get("batch_norm", True)
        pooling = params.get("pooling", "average")
        block_dropout = params.get("block_dropout", 0)
        dense = params.get("dense_units", 0)
        layers, channels = [], 1
        for c in filters:
            layers += [nn.Conv2d(channels, c, 3, padding=1, bias=not bn)] + ([nn.BatchNorm2d(c)] if bn else []) + [nn.ReLU(), same_pool(2)]
            if block_dropout > 0:
                layers.append(nn.Dropout(block_dropout))
            channels, t, f = c, (t + 1) // 2, (f + 1) // 2
        self.cnn = nn.Sequential(*layers)
        self.pooling = pooling
        size = channels if pooling != "flatten" else channels * t * f
        head = [nn.Linear(size, dense), nn.ReLU()] if dense > 0 else []
        self.head = nn.Sequential(*head, nn.Dropout(params.get("dropout", 0.3)), nn.Linear(dense or size, classes))

    def forward(self, x):
        h = self.cnn(x.unsqueeze(1))
        if self.pooling == "average":
            h = h.mean(dim=(2, 3))
        elif self.pooling == "max":
            h = h.amax(dim=(2, 3))
        else:
            h = h.permute(0, 2, 3, 1).flatten(1)
        return self.head(h)


class Mlp(nn.Module):
    """plugins/models/mlp.ts: 64-32-16 ReLU with an L2 penalty 1e-4 on the hidden kernels."""

    def __init__(self, shape, classes, hidden=(64, 32, 16)):
        super().__init__()
        dims = [shape[0], *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims, dims[1:]))
        self.out = nn.Linear(dims[-1], classes)

    def forward(self, x):
        for layer in self.hidden:
            x = torch.relu(layer(x))
        return self.out(x)

    def penalty(self):
        return 1e-4 * sum((layer.weight ** 2).sum() for layer in self.hidden)


class Autoencoder(nn.Module):
    """core/layers/autoencoder.ts: d → 256 → 128 → 64 (code) → 128 → 256 → d, ReLU; logits from the code.
    `autoencoder` is timed in its reconstruction (pretraining) phase; `softmax_autoencoder` trains
    0.9 · MSE + 0.1 · cross-entropy."""

    def __init__(self, shape, classes, head):
        super().__init__()
        d = shape[0]
        self.enc = nn.Sequential(nn.Linear(d, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU())
        self.dec = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, d))
        self.head = nn.Linear(64, classes) if head else None

    def forward(self, x):
        z = self.enc(x)
        return self.dec(z), (self.head(z) if self.head is not None else None)


def build(name, shape, classes, params):
    if name == "lstm":
        return Lstm(shape, classes)
    if name == "bilstm_attention":
        return BiLstmAttention(shape, classes)
    if name == "bilstm_attention_bn":
        return BiLstmAttention(shape, classes, bn=True)
    if name == "crnn":
        return Crnn(shape, classes, conv=params.get("conv", "2d"), rnn=params.get("rnn", "gru"))
    if name == "cnn_token_attention":
        return CnnTokenAttention(shape, classes)
    if name == "cnn2d":
        return Cnn2d(shape, classes, params)
    if name == "mlp":
        return Mlp(shape, classes)
    if name == "dense2":
        return nn.Sequential(nn.Linear(shape[0], 128), nn.Tanh(), nn.Linear(128, classes))
    if name == "autoencoder":
        return Autoencoder(shape, classes, head=False)
    if name == "softmax_autoencoder":
        return Autoencoder(shape, classes, head=True)
    raise SystemExit(f"train_torch.py: unknown architecture {name}")


def loss_of(model, x, y):
    out = model(x)
    if isinstance(out, tuple):
        recon, logits = out
        loss = nn.functional.mse_loss(recon, x)
        if logits is not None:
            loss = 0.9 * loss + 0.1 * nn.functional.cross_entropy(logits, y)
    else:
        loss = nn.functional.cross_entropy(out, y)
    if hasattr(model, "penalty"):
        loss = loss + model.penalty()
    return loss


def speed(specs):
    torch.manual_seed(0)
    threads = max(spec.get("threads", 1) for spec in specs)
    torch.set_num_threads(threads)
    # One thread: process CPU time (other work on a shared machine does not inflate it); more: wall time.
    clock = time.process_time if threads == 1 else time.perf_counter
    for spec in specs:
        name, shape, batch, classes = spec["plugin"], spec["input"], spec["batch"], spec["classes"]
        model = build(name, shape, classes, spec.get("params", {}))
        model.train()
        opt = torch.optim.Adam(model.parameters(), 1e-3)
        x = torch.randn(batch, *shape)
        y = torch.randint(0, classes, (batch,))

        def step():
            opt.zero_grad()
            loss_of(model, x, y).backward()
            opt.step()

        for _ in range(spec["warmup"]):
            step()
        times = []
        for _ in range(spec["steps"]):
            t0 = clock()
            step()
            times.append(clock() - t0)
        params = sum(p.numel() for p in model.parameters())
        times.sort()
        print(json.dumps({"name": spec["name"], "min_ms": 1000 * times[0], "median_ms": 1000 * times[len(times) // 2], "params": params}), flush=True)


def memory(spec):
    """Peak RSS of training the twin on an in-memory set of `examples` (and `validation`) examples for
    `epochs` epochs, batches of `batch` in a new order each epoch, the validation set evaluated in
    batches after each epoch (no_grad): what bench/train-memory.ts runs for clave."""
    torch.manual_seed(0)
    name, shape, batch, classes = spec["plugin"], spec["input"], spec["batch"], spec["classes"]
    model = build(name, shape, classes, spec.get("params", {}))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    base = peak_mb()
    n, nv = spec["examples"], spec["validation"]
    x, y = torch.randn(n, *shape), torch.randint(0, classes, (n,))
    vx, vy = torch.randn(nv, *shape), torch.randint(0, classes, (nv,))
    start = time.process_time()
    for _ in range(spec["epochs"]):
        model.train()
        order = torch.randperm(n)
        for i in range(0, n, batch):
            rows = order[i : i + batch]
            opt.zero_grad()
            loss_of(model, x[rows], y[rows]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            for i in range(0, nv, batch):
                loss_of(model, vx[i : i + batch], vy[i : i + batch])
    data = (x.numel() + vx.numel()) * 4 / 2**20
    print(json.dumps({"name": spec["name"], "base_mb": base, "data_mb": data, "peak_mb": peak_mb(), "cpu_s": time.process_time() - start}), flush=True)


def parity(spec):
    """Test accuracy of the twin trained on the arrays clave trained on (bench/parity.ts), per seed: inputs
    standardised per feature (last axis) with the training set's mean and population std (clave's
    standardise layer), Adam (AdamW when weight_decay > 0) at the plugin's learning rate, batches of its
    size in a new order each epoch, balanced class weights when the plugin uses them, and early stopping on
    the validation loss with its patience (0: never), the best epoch's weights restored."""
    import copy

    import numpy as np

    shape, classes, s = spec["input"], spec["classes"], spec["training"]
    files, counts = spec["files"], spec["counts"]

    def part(name):
        x = np.fromfile(files["x_" + name], dtype=np.float32).reshape(counts[name], *shape)
        y = np.fromfile(files["y_" + name], dtype=np.int32).astype(np.int64)
        return torch.from_numpy(x), torch.from_numpy(y)

    (x, y), (vx, vy), (tx, ty) = part("train"), part("validation"), part("test")
    flat = x.reshape(-1, shape[-1]).double()
    mean = flat.mean(0)
    std = flat.var(0, unbiased=False).sqrt()
    std = torch.where(std ** 2 > 1e-12, std, torch.ones_like(std))
    mean, std = mean.float(), std.float()
    x, vx, tx = (x - mean) / std, (vx - mean) / std, (tx - mean) / std
    weight = None
    if s["class_weight"] == "balanced":
        counts_y = torch.bincount(y, minlength=classes).double()
        weight = (len(y) / (classes * counts_y.clamp(min=1))).float()

    def loss_on(model, xb, yb):
        loss = nn.functional.cross_entropy(model(xb), yb, weight=weight)
        return loss + model.penalty() if hasattr(model, "penalty") else loss

    start = time.process_time()
    accs, epochs_run = [], []
    batch = s["batch_size"]
    for seed in spec["seeds"]:
        torch.manual_seed(seed)
        model = build(spec["plugin"], shape, classes, spec.get("params", {}))
        opt = (torch.optim.AdamW(model.parameters(), s["learning_rate"], weight_decay=s["weight_decay"])
               if s["weight_decay"] > 0 else torch.optim.Adam(model.parameters(), s["learning_rate"]))
        best, best_state, waited, epochs = float("inf"), None, 0, 0
        for _ in range(s["epochs"]):
            epochs += 1
            model.train()
            order = torch.randperm(len(y))
            for i in range(0, len(y), batch):
                rows = order[i : i + batch]
                opt.zero_grad()
                loss_on(model, x[rows], y[rows]).backward()
                opt.step()
            model.eval()
            with torch.no_grad():
                total = sum(nn.functional.cross_entropy(model(vx[i : i + batch]), vy[i : i + batch], weight=weight, reduction="sum").item()
                            for i in range(0, len(vy), batch))
            # clave's validation loss is the mean weighted loss per example
            val = total / len(vy)
            if val < best:
                best, best_state, waited = val, copy.deepcopy(model.state_dict()), 0
            else:
                waited += 1
                if s["early_stopping"] > 0 and waited >= s["early_stopping"]:
                    break
        model.load_state_dict(best_state)
        model.eval()
        with torch.no_grad():
            pred = torch.cat([model(tx[i : i + batch]).argmax(1) for i in range(0, len(ty), batch)])
        accs.append((pred == ty).double().mean().item())
        epochs_run.append(epochs)
    print(json.dumps({"name": spec["name"], "acc": accs, "epochs": epochs_run, "cpu_s": time.process_time() - start, "peak_mb": peak_mb()}), flush=True)


def main():
    if sys.argv[1] == "--memory":
        memory(json.loads(sys.argv[2]))
    elif sys.argv[1] == "--parity":
        parity(json.loads(sys.argv[2]))
    else:
        speed(json.loads(sys.argv[1]))


if __name__ == "__main__":
    main()
