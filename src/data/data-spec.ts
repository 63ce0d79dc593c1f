/**
 * What the trainer asks of a demonstration file: which observation and action keys, how windows
 * are cut and how actions are normalised. Built once from the robomimic config (see
 * `src/train/train-config.ts`), so nothing in `src/data` reads the config itself.
 */

export type ObsKind = 'rgb' | 'low_dim';

export type ActionNormalization = 'none' | 'min_max' | 'gaussian';

export interface ObsKeySpec {
  name: string;
  kind: ObsKind;
}

export interface DataSpec {
  /** Observation keys under `data/<demo>/obs/`, in the order the config lists them. */
  obsKeys: ObsKeySpec[];
  /** Datasets under `data/<demo>/`, concatenated in this order into the action vector. */
  actionKeys: string[];
  /** Per action key, as `train.action_config.<key>.normalization` says (null → 'none'). */
  actionNormalization: Record<string, ActionNormalization>;
  /** `train.frame_stack`: observation frames t−frameStack+1 … t. */
  frameStack: number;
  /** `train.seq_length`: frames t … t+seqLength−1 of actions. */
  seqLength: number;
  padFrameStack: boolean;
  padSeqLength: boolean;
  /** `algo.horizon.observation_horizon` (To): obs frames the policy uses, from the window start. */
  obsHorizon: number;
  /** `algo.horizon.prediction_horizon` (Tp): actions the policy uses, from the window start. */
  predictionHorizon: number;
}

/** One source of demos: a file, an optional mask name and its sampling weight (robomimic `train.data[i]`). */
export interface DataSource {
  path: string;
  weight: number;
  /** `mask/<filterKey>` lists the demos to use; null means every demo under `data/`. */
  filterKey: string | null;
  demoLimit: number | null;
}
