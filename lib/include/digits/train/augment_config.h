// How each training image is distorted (augment.h does it; the options table sets it).
#pragma once

namespace digits {

// Random distortion applied to each training image, per batch: an affine one and, when
// `elastic_px` > 0, an elastic one (Simard et al. 2003): every pixel moved by a smooth random
// field, which bends strokes the way a shaky hand does.
struct AugmentConfig {
  bool enabled = true;
  double rotation_deg = 10.0;  // uniform in [-r, r]
  double scale = 0.10;         // uniform in [1 - s, 1 + s]
  double shift_px = 2.0;       // uniform in [-t, t] along each axis
  double elastic_px = 0.0;     // root-mean-square length of each image's displacements; 0: off
  double elastic_sigma = 4.0;  // smoothness of the field: its Gaussian blur, in pixels
};

}  // namespace digits
