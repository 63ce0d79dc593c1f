/**
 * Widths robomimic hard-codes (ResNet stem and stage widths, the fork's `combine` MLP, the UNet
 * widths it builds whatever `algo.unet` says) are only defaults: a checkpoint's tensor shapes say
 * what was really built. This reads them back so the model can be built to load that checkpoint.
 */
import type { PolicyConfig } from './config.ts';

/**
 * Returns a copy of `config` whose hard-coded widths are taken from a state dict's key shapes
 * where those keys exist; widths whose keys are absent keep their defaults. Loading then checks
 * every key and shape (`checkStateDictShapes`), so a wrong guess cannot go unnoticed.
 */
export function configWithWidthsFrom(config: PolicyConfig, shapes: Map<string, number[]>): PolicyConfig {
  const next: PolicyConfig = structuredClone(config);
  const mid = config.dataParallel ? 'module.' : '';
  const image = config.obsKeys.find((k) => k.modality === 'rgb' && !k.sharesCoreOf);
  if (image) {
    const trunk = `policy.obs_encoder.${mid}nets.obs.obs_nets.${image.key}.backbone.nets.`;
    const stem = shapes.get(`${trunk}0.weight`);
    if (stem) next.rgb.stem = stem[0]!;
    next.rgb.planes = next.rgb.planes.map((p, stage) => shapes.get(`${trunk}${4 + stage}.0.conv1.weight`)?.[0] ?? p) as PolicyConfig['rgb']['planes'];
    const linearIndex = config.rgb.pool ? 3 : 2;
    const linear = shapes.get(`policy.obs_encoder.${mid}nets.obs.obs_nets.${image.key}.nets.${linearIndex}.weight`);
    if (linear && next.rgb.featureDim !== null) next.rgb.featureDim = linear[0]!;
    const kp = shapes.get(`policy.obs_encoder.${mid}nets.obs.obs_nets.${image.key}.pool.nets.weight`);
    if (kp && next.rgb.pool) next.rgb.pool.numKp = kp[0]!;
  }
  if (next.combine) {
    const c = (i: number): number | undefined => shapes.get(`policy.obs_encoder.${mid}combine.${i}.weight`)?.[0];
    next.combine = { hidden: [c(0) ?? next.combine.hidden[0], c(2) ?? next.combine.hidden[1]], out: c(4) ?? next.combine.out };
  }
  const unet = `policy.noise_pred_net.${mid}`;
  const step = shapes.get(`${unet}diffusion_step_encoder.3.weight`);
  if (step) next.unet.stepEmbedDim = step[0]!;
  const downDims: number[] = [];
  for (let i = 0; ; i++) {
    const w = shapes.get(`${unet}down_modules.${i}.0.blocks.0.block.0.weight`);
    if (!w) break;
    downDims.push(w[0]!);
    next.unet.kernelSize = w[2]!;
  }
  if (downDims.length >= 2) next.unet.downDims = downDims;
  return next;
}
