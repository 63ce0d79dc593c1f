"""
PyTorch CPU reference for bench/train.ts: robomimic's DiffusionPolicyUNet nets (ResNet18Conv/ResNet50Conv trunks
with GroupNorm, VisualCore, the fork's combine MLP, ConditionalUnet1D), written here from the robomimic v0.5 /
droid_policy_learning architecture so that its state dict has exactly the real key names. It times training
steps (forward, backward, Adam/AdamW, EMA) on the same model and batch size as the TypeScript trainer, and
`load_state_dict(strict=True)` on a checkpoint proves the architecture matches key for key.

    /usr/bin/python3 bench/reference/diffusion_policy_reference.py SPEC.json [--checkpoint CKPT] [--steps N] [--device cuda]

SPEC.json (written by bench/train.ts): code ('fork'|'upstream'), obs_keys [[key, 'rgb'|'low_dim', shape]],
shared_cores {key: key}, backbone, stem, planes, pool (num_kp or null), feature_dim, crop [h, w], randomizers
(in config order: ['color', {brightness, contrast, saturation, hue: [lo, hi], num_samples}] or ['crop', {height, width,
num_crops}]),
combine [h1, h2, out] or null, unet {step_embed_dim, down_dims, kernel_size, n_groups}, ac_dim, horizon [To, Tp],
noise_samples, batch_size, optimizer ('adam'|'adamw'), lr, weight_decay, ema_power.
"""
import json
import math
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def gn(c):
    return nn.GroupNorm(c // 16, c)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = gn(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = gn(planes)
        out = planes
        self.downsample = nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False), gn(out)) if stride != 1 or cin != out else None

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride):
        super().__init__()
        out = planes * 4
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = gn(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = gn(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = gn(out)
        self.downsample = nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False), gn(out)) if stride != 1 or cin != out else None

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


def resnet_trunk(backbone, stem, planes):
    """torchvision's ResNet layout without avgpool/fc (robomimic ResNet18Conv/ResNet50Conv), GroupNorm for BatchNorm."""
    block, layers = (BasicBlock, [2, 2, 2, 2]) if backbone == 'ResNet18Conv' else (Bottleneck, [3, 4, 6, 3])
    modules = [nn.Conv2d(3, stem, 7, 2, 3, bias=False), gn(stem), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = stem
    for stage, (p, n) in enumerate(zip(planes, layers)):
        blocks = []
        for i in range(n):
            blocks.append(block(cin, p, 2 if stage > 0 and i == 0 else 1))
            cin = p * block.expansion
        modules.append(nn.Sequential(*blocks))
    return nn.Sequential(*modules)


class Backbone(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.nets = resnet_trunk(spec['backbone'], spec['stem'], spec['planes'])

    def forward(self, x):
        return self.nets(x)


class SpatialSoftmax(nn.Module):
    def __init__(self, channels, h, w, num_kp):
        super().__init__()
        self.nets = nn.Conv2d(channels, num_kp, 1)
        self.register_buffer('temperature', torch.ones(1))
        px, py = torch.meshgrid(torch.linspace(-1, 1, w), torch.linspace(-1, 1, h), indexing='xy')
        self.register_buffer('pos_x', px.reshape(1, h * w))
        self.register_buffer('pos_y', py.reshape(1, h * w))
        self.num_kp = num_kp

    def forward(self, x):
        x = self.nets(x)
        x = x.reshape(-1, x.shape[2] * x.shape[3])
        att = F.softmax(x / self.temperature, dim=-1)
        kp = torch.cat([(self.pos_x * att).sum(1, keepdim=True), (self.pos_y * att).sum(1, keepdim=True)], 1)
        return kp.view(-1, self.num_kp, 2)


class VisualCore(nn.Module):
    def __init__(self, spec, image_shape):
        super().__init__()
        self.backbone = Backbone(spec)
        c, h, w = 3, spec['crop'][0], spec['crop'][1]
        with torch.no_grad():
            out = self.backbone(torch.zeros(1, c, h, w)).shape[1:]
        layers = [self.backbone]
        if spec['pool']:
            self.pool = SpatialSoftmax(out[0], out[1], out[2], spec['pool'])
            layers.append(self.pool)
            flat = spec['pool'] * 2
        else:
            flat = out[0] * out[1] * out[2]
        layers += [nn.Flatten(1), nn.Linear(flat, spec['feature_dim'])]
        self.nets = nn.Sequential(*layers)

    def forward(self, x):
        return self.nets(x)


class ObsNets(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.obs_nets = nn.ModuleDict()
        for key, kind, shape in spec['obs_keys']:
            if kind == 'rgb':
                shared = spec['shared_cores'].get(key)
                self.obs_nets[key] = self.obs_nets[shared] if shared else VisualCore(spec, shape)


def grayscale(x):
    r, g, b = x.unbind(-3)
    return (0.2989 * r + 0.587 * g + 0.114 * b).unsqueeze(-3)


def blend(x, other, ratio):
    return (ratio * x + (1.0 - ratio) * other).clamp(0, 1.0)


def rgb_to_hsv(x):
    r, g, b = x.unbind(-3)
    maxc, minc = x.max(-3).values, x.min(-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    divisor = torch.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / divisor, (maxc - g) / divisor, (maxc - b) / divisor
    h = (maxc == r) * (bc - gc) + ((maxc == g) & (maxc != r)) * (2.0 + rc - bc) + ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    return torch.stack((torch.fmod(h / 6.0 + 1.0, 1.0), s, maxc), -3)


def hsv_to_rgb(x):
    h, s, v = x.unbind(-3)
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.to(torch.int32) % 6
    p = (v * (1.0 - s)).clamp(0.0, 1.0)
    q = (v * (1.0 - s * f)).clamp(0.0, 1.0)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0)
    mask = (i.unsqueeze(-3) == torch.arange(6).view(-1, 1, 1)).to(x.dtype)
    a = torch.stack((torch.stack((v, q, p, p, t, v), -3), torch.stack((t, v, v, q, p, p), -3), torch.stack((p, p, t, v, v, q), -3)), -4)
    return torch.einsum('...ijk, ...xijk -> ...xjk', mask, a)


def adjust_hue(x, f):
    h, s, v = rgb_to_hsv(x).unbind(-3)
    return hsv_to_rgb(torch.stack(((h + f) % 1.0, s, v), -3))


COLOR_OPS = {
    'brightness': lambda x, f: blend(x, torch.zeros_like(x), f),
    'contrast': lambda x, f: blend(x, grayscale(x).mean((-3, -2, -1), keepdim=True), f),
    'saturation': lambda x, f: blend(x, grayscale(x), f),
    'hue': adjust_hue,
}


def color_jitter(x, c):
    """robomimic's train-mode ColorRandomizer: per image and sample, torchvision 0.14's four tensor ops in a random order."""
    out = []
    for image in x:
        for _ in range(c['num_samples']):
            ops = [(name, random.uniform(*c[name])) for name in COLOR_OPS]
            random.shuffle(ops)
            for name, f in ops:
                image = COLOR_OPS[name](image, f)
            out.append(image)
    return torch.stack(out)


def random_crops(x, ch, cw, n):
    """robomimic's train-mode CropRandomizer (sample_random_image_crops): n crops per image at long((H − h)·U[0,1)), gathered."""
    N, C, H, W = x.shape
    tops = ((H - ch) * torch.rand(N, n, device=x.device)).long()
    lefts = ((W - cw) * torch.rand(N, n, device=x.device)).long()
    rows = tops[..., None, None] + torch.arange(ch, device=x.device)[:, None]
    cols = lefts[..., None, None] + torch.arange(cw, device=x.device)[None, :]
    index = (rows * W + cols).reshape(N, n, 1, ch * cw).expand(N, n, C, ch * cw)
    crops = torch.gather(x.reshape(N, 1, C, H * W).expand(N, n, C, H * W), -1, index)
    return crops.reshape(N * n, C, ch, cw)


class GroupEncoder(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        self.nets = nn.ModuleDict({'obs': ObsNets(spec)})
        d = sum(spec['feature_dim'] if kind == 'rgb' else shape[0] for _, kind, shape in spec['obs_keys'])
        if spec['combine']:
            h1, h2, out = spec['combine']
            self.combine = nn.Sequential(nn.Linear(d, h1), nn.ReLU(), nn.Linear(h1, h2), nn.ReLU(), nn.Linear(h2, out))
            d = out
        self.out_dim = d

    def forward(self, obs):
        parts = []
        for key, kind, _ in self.spec['obs_keys']:
            x = obs[key]
            if kind == 'rgb':
                rows, copies = x.shape[0], 1
                for name, r in self.spec['randomizers']:
                    x = color_jitter(x, r) if name == 'color' else random_crops(x, r['height'], r['width'], r['num_crops'])
                    copies *= r['num_samples'] if name == 'color' else r['num_crops']
                # Randomizer forward_out: the mean over each row's copies.
                parts.append(F.relu(self.nets['obs'].obs_nets[key](x)).reshape(rows, copies, -1).mean(1))
            else:
                parts.append(x)
        x = torch.cat(parts, -1)
        return self.combine(x) if self.spec['combine'] else x


class Conv1dBlock(nn.Module):
    def __init__(self, cin, cout, k, groups):
        super().__init__()
        self.block = nn.Sequential(nn.Conv1d(cin, cout, k, padding=k // 2), nn.GroupNorm(groups, cout), nn.Mish())

    def forward(self, x):
        return self.block(x)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, cond, k, groups):
        super().__init__()
        self.blocks = nn.ModuleList([Conv1dBlock(cin, cout, k, groups), Conv1dBlock(cout, cout, k, groups)])
        self.out_channels = cout
        self.cond_encoder = nn.Sequential(nn.Mish(), nn.Linear(cond, cout * 2), nn.Unflatten(-1, (-1, 1)))
        self.residual_conv = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, cond):
        out = self.blocks[0](x)
        e = self.cond_encoder(cond).reshape(x.shape[0], 2, self.out_channels, 1)
        out = self.blocks[1](e[:, 0] * out + e[:, 1])
        return out + self.residual_conv(x)


class Down(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv = nn.Conv1d(dim, dim, 3, 2, 1)

    def forward(self, x):
        return self.conv(x)


class Up(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv = nn.ConvTranspose1d(dim, dim, 4, 2, 1)

    def forward(self, x):
        return self.conv(x)


class SinusoidalPosEmb(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, t):
        half = self.dim // 2
        f = torch.exp(torch.arange(half, device=t.device) * -(math.log(10000) / (half - 1)))
        e = t[:, None] * f[None, :]
        return torch.cat((e.sin(), e.cos()), -1)


class ConditionalUnet1D(nn.Module):
    def __init__(self, ac_dim, global_cond, u):
        super().__init__()
        dims = [ac_dim] + u['down_dims']
        se, k, g = u['step_embed_dim'], u['kernel_size'], u['n_groups']
        cond = se + global_cond
        self.mid_modules = nn.ModuleList([ResBlock(dims[-1], dims[-1], cond, k, g), ResBlock(dims[-1], dims[-1], cond, k, g)])
        self.diffusion_step_encoder = nn.Sequential(SinusoidalPosEmb(se), nn.Linear(se, se * 4), nn.Mish(), nn.Linear(se * 4, se))
        pairs = list(zip(dims[:-1], dims[1:]))
        self.up_modules = nn.ModuleList()
        for i, (cin, cout) in enumerate(reversed(pairs[1:])):
            last = i >= len(pairs) - 1
            self.up_modules.append(nn.ModuleList([ResBlock(cout * 2, cin, cond, k, g), ResBlock(cin, cin, cond, k, g), Up(cin) if not last else nn.Identity()]))
        self.down_modules = nn.ModuleList()
        for i, (cin, cout) in enumerate(pairs):
            last = i >= len(pairs) - 1
            self.down_modules.append(nn.ModuleList([ResBlock(cin, cout, cond, k, g), ResBlock(cout, cout, cond, k, g), Down(cout) if not last else nn.Identity()]))
        self.final_conv = nn.Sequential(Conv1dBlock(dims[1], dims[1], k, 8), nn.Conv1d(dims[1], ac_dim, 1))

    def forward(self, sample, t, global_cond):
        x = sample.moveaxis(-1, -2)
        cond = torch.cat([self.diffusion_step_encoder(t), global_cond], -1)
        skips = []
        for a, b, down in self.down_modules:
            x = b(a(x, cond), cond)
            skips.append(x)
            x = down(x)
        for m in self.mid_modules:
            x = m(x, cond)
        for a, b, up in self.up_modules:
            x = torch.cat((x, skips.pop()), 1)
            x = up(b(a(x, cond), cond))
        return self.final_conv(x).moveaxis(-1, -2)


class Wrap(nn.Module):
    """DataParallel's state-dict shape (`.module.`), without DataParallel."""
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, *a):
        return self.module(*a)


def build(spec):
    enc = GroupEncoder(spec)
    To, Tp = spec['horizon']
    unet = ConditionalUnet1D(spec['ac_dim'], enc.out_dim * To, spec['unet'])
    wrap = Wrap if spec['code'] == 'fork' else (lambda m: m)
    return nn.ModuleDict({'policy': nn.ModuleDict({'obs_encoder': wrap(enc), 'noise_pred_net': wrap(unet)})})


def alphas_cumprod(n=100):
    ab = lambda s: math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = torch.tensor([min(1 - ab((i + 1) / n) / ab(i / n), 0.999) for i in range(n)], dtype=torch.float64).float()
    return torch.cumprod(1 - betas, 0)


def main():
    spec = json.load(open(sys.argv[1]))
    args = sys.argv[2:]
    steps = int(args[args.index('--steps') + 1]) if '--steps' in args else 5
    torch.manual_seed(0)
    random.seed(0)
    torch.set_num_threads(int(args[args.index('--threads') + 1]) if '--threads' in args else torch.get_num_threads())
    device = torch.device(args[args.index('--device') + 1] if '--device' in args else 'cpu')
    nets = build(spec).float()
    if '--checkpoint' in args:
        ckpt = torch.load(args[args.index('--checkpoint') + 1])
        nets.load_state_dict(ckpt['model']['nets'], strict=True)
        print('checkpoint: load_state_dict(strict=True) ok', flush=True)
    nets = nets.to(device)
    ema = {k: v.detach().clone() for k, v in nets.state_dict().items()}
    params = list(nets.parameters())
    opt = (torch.optim.AdamW if spec['optimizer'] == 'adamw' else torch.optim.Adam)(params, lr=spec['lr'], weight_decay=spec['weight_decay'])
    B, (To, Tp), S = spec['batch_size'], spec['horizon'], spec['noise_samples']
    obs = {}
    for key, kind, shape in spec['obs_keys']:
        obs[key] = (torch.rand(B * To, *shape) if kind == 'rgb' else torch.randn(B * To, *shape)).to(device)
    actions = (torch.rand(B, Tp, spec['ac_dim']) * 2 - 1).to(device)
    acp = alphas_cumprod().to(device)
    enc = nets['policy']['obs_encoder']
    unet = nets['policy']['noise_pred_net']
    n_params = sum(p.numel() for p in params)
    times = []
    for step in range(steps + 1):
        t0 = time.perf_counter()
        feats = enc(obs).reshape(B, -1)
        noise = torch.randn(S, B, Tp, spec['ac_dim'], device=device)
        t = torch.randint(0, 100, (B,), device=device)
        a = acp[t].sqrt()[None, :, None, None]
        s = (1 - acp[t]).sqrt()[None, :, None, None]
        noisy = (a * actions[None] + s * noise).reshape(S * B, Tp, -1)
        pred = unet(noisy, t.repeat(S), feats.repeat(S, 1))
        loss = F.mse_loss(pred, noise.reshape(S * B, Tp, -1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            sd = nets.state_dict()
            for k, v in ema.items():
                v.mul_(0.99).add_(sd[k], alpha=0.01)
        if device.type == 'cuda':
            torch.cuda.synchronize()
        if step > 0:  # the first step pays allocation costs
            times.append(time.perf_counter() - t0)
    print(json.dumps({'params': n_params, 'steps_per_s': len(times) / sum(times), 'best_step_s': min(times), 'threads': torch.get_num_threads(), 'loss': float(loss),
                      'device': str(device), 'peak_bytes': torch.cuda.max_memory_allocated() if device.type == 'cuda' else None}))


if __name__ == '__main__':
    main()
