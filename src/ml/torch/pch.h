// Precompiled header for src/ml: the only place torch headers enter the build.
#pragma once

#include <torch/torch.h>
