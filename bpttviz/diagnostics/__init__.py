"""Why gradients vanish, explode and get truncated: diagnostics of a model on data.

NumPy only, no plotting. Every function checks its arguments before any work
and works for every cell through the cell interface (``cell.forward`` and
``cell.jacobians``), so the same diagnostics serve the Elman, LSTM and GRU
networks. The state ``s`` is the hidden state ``h`` (Elman, GRU) or ``[h, c]``
(LSTM); ``J_t = ds_t/ds_{t-1}`` is the Jacobian of step ``t``.

* Jacobian spectra: :func:`jacobian_singular_values`,
  :func:`jacobian_product_norms`, :func:`lyapunov_exponent`,
  :func:`lyapunov_spectrum`; or the Jacobians once, :func:`step_jacobians`, and
  several diagnostics of them: :func:`singular_values_of`, :func:`lyapunov_of`.
* The theory's bound: :func:`recurrent_spectrum`, :func:`gamma`,
  :func:`pascanu_bound` (Pascanu, Mikolov & Bengio 2013, section 2.1).
* Truncation: :func:`truncation_bias` (one point of it from a trace:
  :func:`gradient_agreement`), and what it saves,
  :func:`schedule_cost` and :func:`cost_table` (measured by the engine).
* Beyond truncation: :func:`compare_estimators` puts TBPTT over k2,
  randomized truncation, UORO and RTRL on one scale (cosine and norm ratio
  to the full gradient, spread over seeds, measured cost); :func:`cost_against_hidden`
  their counted multiply-adds per step against H.
* The shared weight's gradient in parts: :func:`per_copy_shares` (each unrolled
  copy's share, which BPTT sums).
* Loss surfaces: :func:`loss_slice`, :func:`random_direction`, and the
  single-unit network whose error surface has a cliff: :func:`cliff_loss`,
  :func:`cliff_grad`, :func:`cliff_descent`.

Shapes: T steps, B batch, I inputs, H hidden units, S state floats, O outputs.

References
----------
Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent
neural networks", ICML (arXiv:1211.5063).
Benettin, Galgani, Giorgilli & Strelcyn (1980), "Lyapunov characteristic
exponents for smooth dynamical systems ... Part 2: Numerical application",
Meccanica 15; Shimada & Nagashima (1979), Prog. Theor. Phys. 61.
Li, Xu, Taylor, Studer & Goldstein (2018), "Visualizing the loss landscape of
neural nets", NeurIPS.
"""


from .jacobians import (Spectrum, gamma, jacobian_product_norms, jacobian_singular_values,
                        lyapunov_exponent, lyapunov_of, lyapunov_spectrum, pascanu_bound,
                        recurrent_spectrum, singular_values_of, step_jacobians)
from .surfaces import CliffPath, cliff_descent, cliff_grad, cliff_loss, loss_slice, random_direction
from .truncation import (TRUNCATIONS, TruncationBias, cost_table, gradient_agreement,
                         schedule_cost, truncation_bias)
from .estimators import (ESTIMATOR_KINDS, EstimatorComparison, HiddenCost, compare_estimators,
                         cost_against_hidden, engine_flops)
from .copies import per_copy_shares


__all__ = [
    "jacobian_singular_values", "jacobian_product_norms", "lyapunov_exponent",
    "lyapunov_spectrum", "step_jacobians", "singular_values_of", "lyapunov_of", "Spectrum",
    "recurrent_spectrum", "gamma", "pascanu_bound",
    "TruncationBias", "truncation_bias", "gradient_agreement", "TRUNCATIONS", "schedule_cost",
    "cost_table",
    "loss_slice", "random_direction", "cliff_loss", "cliff_grad", "CliffPath",
    "cliff_descent",
    "compare_estimators", "EstimatorComparison", "ESTIMATOR_KINDS", "engine_flops",
    "cost_against_hidden", "HiddenCost", "per_copy_shares",
]
