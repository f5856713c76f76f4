"""PyTorch twins of bench/train.ts's architectures: training samples/s on one CPU thread (process CPU time),
or the peak memory of a training run (bench/train-memory.ts).

Run by bench/train.ts with Debian's /usr/bin/python3 (torch, numpy) and
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1; prints one JSON line per architecture.
Usage: python3 bench/train_torch.py SPEC_JSON  (a list of {name, plugin, params, input, batch, classes,
warmup, steps}); python3 bench/train_torch.py --memory SPEC_JSON (one {name, plugin, params, input, batch,
classes, examples, validation, epochs}: the peak RSS of training on an in-memory set, bench/train-memory.ts);
python3 bench/train_torch.py --parity SPEC_JSON (test accuracy per seed of training on given arrays,
bench/parity.ts). Each model is the same layer stack as the clave plugin's defaults, same sizes
(convolutions channels-first here), so the work per sample is the same; the per-feature
standardisation layer of the tfjs models (an elementwise affine map) has no twin in the speed runs
(--parity standardises the arrays instead). The speed and memory twins are what a PyTorch user writes
(torch's fused nn.GRU / nn.LSTM and initialisers); where that is not the same network as tfjs's, --parity
trains an exact twin instead (build(..., tfjs=True); so far crnn: tfjs's GRU/LSTM cell formulation,
per-sequence dropout masks on input and state, and tfjs's initialisers, see Crnn and TfjsRnn).
"""
import json
import math
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


def tfjs_glorot_normal_(weight, fan_in, fan_out):
    """tfjs-layers' default kernel initialiser of Dense, Conv and the recurrent cells (`glorotNormal`):
    a normal of std sqrt(2 / (fan_in + fan_out)) truncated at ±2 std (tf.truncatedNormal, std not
    corrected for the truncation), not Keras's glorot_uniform nor torch's kaiming_uniform(a=√5)."""
    std = math.sqrt(2.0 / (fan_in + fan_out))
    with torch.no_grad():
        return nn.init.trunc_normal_(weight, 0.0, std, -2 * std, 2 * std)


def tfjs_init_(module):
    """tfjs's initialisers on torch's Conv/Linear layers: kernels glorotNormal (fans as Keras counts
    them: receptive field × channels), biases zero. Batch norm starts at γ = 1, β = 0 on both sides."""
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            receptive = m.weight[0, 0].numel()
            tfjs_glorot_normal_(m.weight, m.weight.shape[1] * receptive, m.weight.shape[0] * receptive)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class TfjsRnn(nn.Module):
    """tfjs-layers' GRU or LSTM layer (recurrentActivation sigmoid, tanh), written as a loop over time steps,
    for the accuracy-parity twin. Weights in tfjs's layout: kernel K [F, G·U], recurrent kernel R [U, G·U],
    one bias b [G·U]; initialised as tfjs does (K glorotNormal, R orthogonal over the whole [U, G·U]
    matrix, b zero; LSTM without unit forget bias, tfjs's default).
      GRU (Keras's original formulation, implementation 2; gates z, r, h; the reset gate applied to the
      state before its matmul; no reset_after, which tfjs refuses):
        m = h ⊙ d_h;  z = σ(x_z + m R_z),  r = σ(x_r + m R_r),  ĥ = tanh(x_h + (r ⊙ m) R_h);
        h ← z ⊙ m + (1 − z) ⊙ ĥ   (tfjs updates from the dropped state m too)
      LSTM (gates i, f, c, o): m = h ⊙ d_h;  [i, f, g, o] = x K + m R + b;  c ← σ(f) c + σ(i) tanh(g);  h = σ(o) tanh(c)
    with [x_z, x_r, x_h] = (x ⊙ d_x) K + b. Dropout (training only): d_x [B, F] and d_h [B, U], inverted
    dropout masks drawn once per batch of sequences and used at every step, as tfjs-layers' cells draw
    them (and clave's fused kernels core/kernels/gru.ts, lstm.ts take them)."""

    def __init__(self, features, units, kind="gru", dropout=0.0, recurrent_dropout=0.0, return_sequences=False):
        super().__init__()
        self.kind, self.units = kind, units
        self.dropout, self.recurrent_dropout, self.return_sequences = dropout, recurrent_dropout, return_sequences
        gates = 3 if kind == "gru" else 4
        self.kernel = nn.Parameter(torch.empty(features, gates * units))
        self.recurrent_kernel = nn.Parameter(torch.empty(units, gates * units))
        self.bias = nn.Parameter(torch.zeros(gates * units))
        tfjs_glorot_normal_(self.kernel, features, gates * units)
        with torch.no_grad():
            nn.init.orthogonal_(self.recurrent_kernel)

    def mask(self, rows, size, rate, like):
        if not self.training or not 0 < rate < 1:
            return None
        return nn.functional.dropout(like.new_ones(rows, size), rate, training=True)

    def forward(self, x):
        b, t, f = x.shape
        u = self.units
        dx = self.mask(b, f, self.dropout, x)
        dh = self.mask(b, u, self.recurrent_dropout, x)
        # Every step's input projection in one matmul.
        xw = torch.addmm(self.bias, (x if dx is None else x * dx.unsqueeze(1)).reshape(b * t, f), self.kernel).reshape(b, t, -1)
        h = x.new_zeros(b, u)
        c = x.new_zeros(b, u)
        outputs = []
        for s in range(t):
            m = h if dh is None else h * dh
            if self.kind == "gru":
                xz, xr, xh = xw[:, s].split(u, dim=1)
                inner = m @ self.recurrent_kernel[:, : 2 * u]
                z = torch.sigmoid(xz + inner[:, :u])
                r = torch.sigmoid(xr + inner[:, u:])
                hh = torch.tanh(xh + (r * m) @ self.recurrent_kernel[:, 2 * u :])
                h = z * m + (1 - z) * hh
            else:
                i, fg, g, o = (xw[:, s] + m @ self.recurrent_kernel).split(u, dim=1)
                c = torch.sigmoid(fg) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            if self.return_sequences:
                outputs.append(h)
        return torch.stack(outputs, dim=1) if self.return_sequences else h


class Crnn(nn.Module):
    """plugins/models/crnn.ts: conv blocks (`filters`, default 32, 64; `kernel_size` 3 "same", ReLU, max-pool
    `pool_size` 2 "same"; with `batch_norm`: conv without bias → batch norm → ReLU → pool) in 2-D over
    [time, mels] or 1-D along time (`conv`), then a GRU or LSTM (`rnn`) of `rnn_units` 64 with dropout
    `rnn_dropout` 0.2 on its inputs and state, its last state (or the average or maximum over time,
    `pooling`), then a linear layer (softmax in the loss).

    tfjs=False (speed and memory benches, what a PyTorch user writes): torch's fused nn.GRU / nn.LSTM
    (GRU in the reset_after formulation with two biases per gate, LSTM with two biases) and torch's
    initialisers; the input dropout as nn.Dropout (a mask per step), no recurrent dropout (the fused
    RNNs have none); the work per step is that of tfjs's cells. tfjs=True (accuracy parity): the exact
    twin of the tfjs network: TfjsRnn (tfjs's cell formulation, initialisers and per-sequence dropout
    masks on input and state) and tfjs's initialisers on the convolutions and the linear layer.
    Batch norm as clave's TORCH_BATCH_NORM (momentum 0.1 in torch's terms, ε 1e-5): torch's defaults."""

    def __init__(self, shape, classes, params=None, tfjs=False):
        super().__init__()
        p = {"conv": "2d", "rnn": "gru", "filters": [32, 64], "kernel_size": 3, "pool_size": 2, "rnn_units": 64, "rnn_dropout": 0.2,
             "batch_norm": False, "pooling": "last", **(params or {})}
        t, f = shape
        self.conv, self.pooling, self.tfjs = p["conv"], p["pooling"], tfjs
        bn, k, pool = p["batch_norm"], p["kernel_size"], p["pool_size"]
        conv, norm = (nn.Conv2d, nn.BatchNorm2d) if self.conv == "2d" else (nn.Conv1d, nn.BatchNorm1d)
        max_pool = nn.MaxPool2d if self.conv == "2d" else nn.MaxPool1d
        layers, channels = [], 1 if self.conv == "2d" else f
        for c in p["filters"]:
            # padding k // 2 is "same" for odd kernels; ceil_mode is tfjs's "same" pooling when the pool is 2.
            layers += [conv(channels, c, k, padding=k // 2, bias=not bn)] + ([norm(c)] if bn else []) + [nn.ReLU(), max_pool(pool, ceil_mode=True)]
            channels, f = c, -(-f // pool)
        self.cnn = nn.Sequential(*layers)
        features = f * channels if self.conv == "2d" else channels
        units, rate = p["rnn_units"], p["rnn_dropout"]
        if tfjs:
            self.rnn = TfjsRnn(features, units, p["rnn"], rate, rate, return_sequences=self.pooling != "last")
            self.drop = nn.Identity()
        else:
            self.drop = nn.Dropout(rate)
            self.rnn = (nn.GRU if p["rnn"] == "gru" else nn.LSTM)(features, units, batch_first=True)
        self.out = nn.Linear(units, classes)
        if tfjs:
            tfjs_init_(self.cnn)
            tfjs_init_(self.out)

    def forward(self, x):
        if self.conv == "2d":
            h = self.cnn(x.unsqueeze(1))  # [B, C, t, f]
            h = h.permute(0, 2, 3, 1).flatten(2)  # tfjs's channels-last [t, f · C]
        else:
            h = self.cnn(x.transpose(1, 2)).transpose(1, 2)
        if self.tfjs:
            h = self.rnn(h)
            if self.pooling == "last":
                return self.out(h)
        else:
            h, _ = self.rnn(self.drop(h))
            if self.pooling == "last":
                return self.out(h[:, -1])
        return self.out(h.mean(dim=1) if self.pooling == "average" else h.amax(dim=1))


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


def build(name, shape, classes, params, tfjs=False):
    """The twin of plugin `name`; tfjs=True: the accuracy-parity twin where one differs from the speed twin (crnn)."""
    if name == "lstm":
        return Lstm(shape, classes)
    if name == "bilstm_attention":
        return BiLstmAttention(shape, classes)
    if name == "bilstm_attention_bn":
        return BiLstmAttention(shape, classes, bn=True)
    if name == "crnn":
        return Crnn(shape, classes, params, tfjs=tfjs)
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
    standardise layer), the parity twin (build(..., tfjs=True): crnn's is tfjs's network exactly, see Crnn),
    Adam (AdamW when weight_decay > 0, ε 1e-7 as clave's) at the plugin's learning rate, batches of its
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
        model = build(spec["plugin"], shape, classes, spec.get("params", {}), tfjs=True)
        # ε = 1e-7: clave's AdamW (core/train/optimizer.ts) keeps Keras's default; torch's is 1e-8.
        opt = (torch.optim.AdamW(model.parameters(), s["learning_rate"], weight_decay=s["weight_decay"], eps=1e-7)
               if s["weight_decay"] > 0 else torch.optim.Adam(model.parameters(), s["learning_rate"], eps=1e-7))
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
