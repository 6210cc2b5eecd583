"""Figures of the lessons: matplotlib only.

Every figure comes as a pair: ``draw_*(ax, ...)`` builds the artists once and
returns them in a small record; ``update_*(artists, ...)`` changes their data
in place (``set_data``, ``set_offsets``, ...). Nothing here draws the canvas:
the caller decides when (``fig.canvas.draw_idle()``), so a widget app can
update several figures from one engine run and redraw each once.

Updates change artists inside the axes (and titles); artists are never added
or removed by an update (pools of a fixed size are shown or hidden). The
axes' ticks, tick labels and axis labels, most of the cost of drawing a
figure, change only with the limits. Log-scale limits therefore snap to
whole decades (in steps of three) and other limits move in coarse steps, so
that they rarely move, and a canvas can keep the ticks as a rendered
background and redraw only the rest (:func:`split_for_blitting`,
:func:`draw_moving`).

The modules, one per family of figures:

* :mod:`.style`: colours (colour-blind safe), the projector's sizes, the
  figure itself and the log-scale limits every figure shares;
* :mod:`.blit`: drawing over a cached background;
* :mod:`.flow`: gradient-flow heatmaps, one or several on one colour scale;
* :mod:`.lines`: norms against lag, singular values, a few series against one x;
* :mod:`.truncation`: a schedule's timeline, its bias, its cost, what it
  reaches, and the memory of checkpointing;
* :mod:`.unrolled`: the network unrolled over a few steps (lesson 1);
* :mod:`.cliff`: the error surface of a one-unit network (lesson 6);
* :mod:`.bias_variance`: gradient estimators' bias against variance (lesson 7).

Shapes: T steps, S state floats, H hidden units, n points of a series.
"""

from .bias_variance import BiasVarianceArtists, draw_bias_variance, update_bias_variance
from .blit import draw_moving, hidden, split_for_blitting
from .cliff import CliffArtists, draw_cliff, update_cliff
from .flow import (FlowArtists, FlowPanelsArtists, draw_flow, draw_flow_panels,
                   shared_log_range, update_flow, update_flow_panels)
from .lines import (LagArtists, LinesArtists, SingularValueArtists, draw_lag_norms, draw_lines,
                    draw_singular_values, lag_profile, update_lag_norms, update_lines,
                    update_singular_values)
from .style import (EMPTY, HUGE, MAGNITUDE_CMAP, MARK, OKABE_ITO, OVERFLOW, PROJECTOR_RC,
                    SERIES_COLORS, SIGNED_CMAP, freeze_layout, new_figure, projector_style)
from .truncation import (COST_METRICS, BiasArtists, CheckpointArtists, CostArtists,
                         ReachArtists, ScheduleArtists, draw_checkpoint_cost, draw_cost,
                         draw_reach, draw_schedule, draw_truncation_bias,
                         update_checkpoint_cost, update_cost, update_reach, update_schedule,
                         update_truncation_bias)
from .unrolled import UnrolledArtists, draw_unrolled, unrolled_frames, update_unrolled

__all__ = [
    "OKABE_ITO", "MAGNITUDE_CMAP", "SIGNED_CMAP", "PROJECTOR_RC", "projector_style", "new_figure",
    "freeze_layout", "split_for_blitting", "draw_moving", "hidden",
    "lag_profile",
    "draw_flow", "update_flow", "draw_lag_norms", "update_lag_norms",
    "draw_singular_values", "update_singular_values",
    "draw_schedule", "update_schedule", "draw_truncation_bias", "update_truncation_bias",
    "draw_cost", "update_cost", "draw_unrolled", "update_unrolled", "unrolled_frames",
    "SERIES_COLORS", "draw_lines", "update_lines", "draw_reach", "update_reach",
    "draw_checkpoint_cost", "update_checkpoint_cost", "draw_flow_panels", "update_flow_panels",
    "shared_log_range", "draw_cliff", "update_cliff", "draw_bias_variance",
    "update_bias_variance",
]
