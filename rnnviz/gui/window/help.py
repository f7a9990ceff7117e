"""Help > "How to read the plots" and Help > About: words for people, kept out of the window code.

The text says, panel by panel, what vanishing and exploding gradients look like, so that a
user who opened rnnviz to see them knows where to look.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QDialog, QTextBrowser, QVBoxLayout

HOW_TO_READ = """
<h2>How to read the plots</h2>
<p>Every gradient in a recurrent network travels back through time by a chain of Jacobians
∂h<sub>t</sub>/∂h<sub>t−1</sub>. If their norms are below 1 the chain <b>vanishes</b>
exponentially; above 1 it can <b>explode</b>. Try the presets: <i>Vanishing</i>,
<i>Exploding</i>, <i>Exploding, clipped</i>, <i>IRNN</i> and <i>LSTM</i>.</p>
<dl>
<dt><b>Loss</b></dt><dd>Raw and smoothed training loss, validation loss and the dashed
memoryless baseline, drawn on top with its value. A network whose gradient vanishes sits on the
baseline of a long-memory task; an exploding one shows spikes, then stops with a divergence
banner. The axis follows the recent steps, so an early spike runs off the top (View › Reset
zoom refits every plot). When the validation loss climbs clearly above its minimum while the
training loss falls, the title says <i>overfitting</i>: memorising the training text, not an
explosion.</dd>
<dt><b>Hidden states</b></dt><dd>Time × unit heatmap for one sample. Saturated tanh units
(deep red/blue everywhere) pass almost no gradient; all-white rows are dead or silent units.</dd>
<dt><b>Gradients through time</b></dt><dd>‖∂L/∂h<sub>t</sub>‖ on a log axis. Vanishing: a
straight line falling towards early time steps. Exploding: rising towards early steps.</dd>
<dt><b>Jacobian chain</b></dt><dd>‖∂h<sub>T</sub>/∂h<sub>T−k</sub>‖ against the lag k with
the bound (γ·σ<sub>max</sub>)<sup>k</sup>. The slope is the regime (the badge); the marked
horizon is how far back the gradient still carries information. On the adding task, green
dashed lines (here and on the hidden states and gradients) mark the two inputs the answer depends
on: the gradient must reach them.</dd>
<dt><b>The badge</b></dt><dd><b>VANISHING</b>, <b>STABLE</b> or <b>EXPLODING</b> from the
chain's mean growth per step, (‖∂h<sub>T</sub>/∂h<sub>0</sub>‖)<sup>1/T</sup>, shown as
“×0.88 per step”: below 0.9 vanishing, above 1.1 exploding. ρ is the spectral radius of
W<sub>hh</sub> (largest |eigenvalue|). For an LSTM or GRU the chain runs through the whole state,
but the gradient also takes the gated cell path: read the Gates panel before the badge. For
ReLU the badge gives the share of dead units (never on in the batch), which pass no
gradient at all. With a loss at every step (text) every h<sub>t</sub> gets its own gradient, so
the horizon is the whole window there.</dd>
<dt><b>Gradient flow</b></dt><dd>The gradient profile over training steps: dark columns on
the left mean early inputs get no learning signal; watch LSTM or clipping change that.</dd>
<dt><b>Weights</b></dt><dd>W<sub>ih</sub>, W<sub>hh</sub>, W<sub>out</sub> (or their gradients)
with symmetric colour levels: growing colour bars mean growing weights.</dd>
<dt><b>Spectrum</b></dt><dd>Eigenvalues of W<sub>hh</sub> against the unit circle and its
singular values against 1: outside the circle means a direction that can explode.</dd>
<dt><b>Norms</b></dt><dd>Global gradient norm before and after clipping, with the threshold,
parameter norms and the update-to-parameter ratio (about 1e-3 is healthy).</dd>
<dt><b>Gates</b></dt><dd>LSTM forget gate (GRU update gate) per unit and step, and the
direct cell path ∏ f<sub>t</sub>: gates near 1 keep that path open, which is how the LSTM
carries its gradient across the window when the vanilla chain vanishes.</dd>
<dt><b>Runs side by side</b></dt><dd>Train ▸ Compare with tanh forks the run with a tanh cell
(Train ▸ Fork and compare… for any other setting): both train on the same batches, and the loss,
gradient and chain panels overlay them with each horizon: the difference is what the cell buys.
Every shape compares: a run of two stacks draws each (a bidirectional net's directions, an
encoder–decoder's source | decoder steps and both chains), the second dashed.</dd>
<dt><b>Connectivity</b></dt><dd>‖∂ŷ<sub>t</sub>/∂x<sub>s</sub>‖ for one sample (output step
up, input step across) and its mean against the distance t − s. Vanishing: a narrow band along
the diagonal. Hover a row to colour its inputs by their share in that prediction.</dd>
<dt><b>Distributions</b></dt><dd>Percentile bands of a parameter, its gradient or the hidden
states over training, on a symmetric-log axis; NaN and ±Inf are counted and marked at the top,
their counts written under the plot. Hover a step to read its percentiles and counts.</dd>
<dt><b>Units off</b></dt><dd>Click units in the hidden-state map (Ctrl+click for more) and press
<i>Switch off</i>: the loss, gradient profile and chain with them held and free, and which units
the loss needs most (<i>Rank units</i>). Training goes on with them held. Every shape has them:
a bidirectional net's units are <i>fwd 3</i> / <i>bwd 3</i>, an encoder–decoder's <i>enc 3</i> /
<i>dec 3</i> (click left or right of the context line). A saved session keeps them by name.</dd>
<dt><b>Text</b></dt><dd>Samples from the model and its next-token guesses (text data), or its
prediction against the target (tasks).</dd>
</dl>
<p><b>After a divergence</b> the plots show the last finite state (the step before), marked
in their titles, and a red banner offers Roll back or Continue with clipping.</p>
<p><b>Keys:</b> Space train/pause · S or → one step · Ctrl+T train N steps · Ctrl+R reset ·
Ctrl+0 reset zoom · Ctrl+O open data · Ctrl+S save session · Ctrl+Q quit · F1 this help.
They work from anywhere but a text field you are typing in: press Enter or Esc there to give
them back.</p>
"""


def about(version: str) -> str:
    return (f"<h3>rnnviz {version}</h3><p>Watch vanishing and exploding gradients happen inside "
            "a recurrent network while it trains.</p><p>numpy for the numbers, PyQt6 and "
            "pyqtgraph for the window.</p>")


def show_help(parent) -> QDialog:
    """A non-modal window, so the plots it explains stay usable beside it."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("How to read the plots")
    dialog.resize(640, 640)
    browser = QTextBrowser(dialog)
    browser.setHtml(HOW_TO_READ)
    QVBoxLayout(dialog).addWidget(browser)
    dialog.show()
    return dialog
