"""``SummaryWriter`` and ``FileWriter``: event files for TensorBoard, with the API of
``torch.utils.tensorboard``."""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime

from . import summary
from ._graph import graph
from ._protos import Event, EventFileWriter, SessionLog, TaggedRunMetadata

__all__ = ["FileWriter", "SummaryWriter"]


class FileWriter:
    """Writes ``Event`` protocol buffers to an event file in ``log_dir`` (created if
    needed).  Events are queued and written by a background thread: at most
    ``max_queue`` wait, and the queue is flushed every ``flush_secs`` seconds."""

    def __init__(self, log_dir, max_queue: int = 10, flush_secs: int = 120, filename_suffix: str = ""):
        self.event_writer = EventFileWriter(str(log_dir), max_queue, flush_secs, filename_suffix)

    def get_logdir(self) -> str:
        """The directory the event file is in."""
        return self.event_writer.get_logdir()

    def add_event(self, event, step=None, walltime=None):
        """Write ``event`` stamped with ``walltime`` (default: now) and ``step``."""
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        self.event_writer.add_event(event)

    def add_summary(self, summary, global_step=None, walltime=None):
        """Write a ``Summary`` protocol buffer as an event."""
        self.add_event(Event(summary=summary), global_step, walltime)

    def add_graph(self, graph_profile, walltime=None):
        """Write a ``(GraphDef, RunMetadata)`` pair: the graph, then its run metadata
        tagged ``step1``."""
        graph_def, stats = graph_profile
        self.add_event(Event(graph_def=graph_def.SerializeToString()), None, walltime)
        tagged = TaggedRunMetadata(tag="step1", run_metadata=stats.SerializeToString())
        self.add_event(Event(tagged_run_metadata=tagged), None, walltime)

    def flush(self):
        """Write the queued events to disk."""
        self.event_writer.flush()

    def close(self):
        """Flush and close the event file."""
        self.event_writer.close()

    def reopen(self):
        """Start a new event file in the same directory after ``close``."""
        self.event_writer.reopen()


class SummaryWriter:
    """Writes scalars, histograms, images, text, a model's graph and hyperparameters to
    event files in ``log_dir`` for TensorBoard (``tensorboard --logdir runs``).

    ``log_dir`` defaults to ``runs/<date>_<time>_<hostname><comment>`` (``comment`` has no
    effect when ``log_dir`` is given).  With ``purge_step``, a run that restarts at step T
    after a crash hides the events of its earlier life at steps >= T.  ``max_queue``,
    ``flush_secs`` and ``filename_suffix`` are passed to the event file writer.  Use it as
    a context manager, or call :meth:`close` at the end.

    Values may be NumpyFlow tensors (any device; no gradient is recorded), numpy arrays or
    Python numbers.
    """

    def __init__(
        self,
        log_dir=None,
        comment: str = "",
        purge_step=None,
        max_queue: int = 10,
        flush_secs: int = 120,
        filename_suffix: str = "",
    ):
        if not log_dir:
            now = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", now + "_" + socket.gethostname() + comment)
        self.log_dir = str(log_dir)
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self.default_bins = summary.tensorflow_bins()

    def _get_file_writer(self) -> FileWriter:
        """The writer of ``log_dir``, created again after :meth:`close`."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                step = self.purge_step
                self.file_writer.add_event(Event(step=step, file_version="brain.Event:2"))
                self.file_writer.add_event(Event(step=step, session_log=SessionLog(status=SessionLog.START)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self) -> str:
        """The directory the event files are written to."""
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False, double_precision=False):
        """Log one number under ``tag`` at ``global_step``.

        ``scalar_value`` is a number, or a one-element Tensor or array.  ``walltime``
        (seconds since the epoch) defaults to now.  ``new_style`` writes a tensor for the
        scalars plugin instead of ``simple_value`` (float32, or float64 with
        ``double_precision``)."""
        self._get_file_writer().add_summary(
            summary.scalar(tag, scalar_value, new_style=new_style, double_precision=double_precision),
            global_step,
            walltime,
        )

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Log several numbers as lines of one chart: each ``{tag: value}`` goes, under
        ``main_tag``, to its own run in the folder ``<log_dir>/<main_tag>_<tag>`` (``/`` in
        ``main_tag`` becomes ``_``)."""
        walltime = time.time() if walltime is None else walltime
        logdir = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            key = logdir + "/" + main_tag.replace("/", "_") + "_" + tag
            fw = self.all_writers.get(key)
            if fw is None:
                fw = self.all_writers[key] = FileWriter(key, self.max_queue, self.flush_secs, self.filename_suffix)
            fw.add_summary(summary.scalar(main_tag, value), global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """Log the distribution of ``values`` (any shape).

        ``bins`` is ``"tensorflow"`` (TensorFlow's fixed exponential buckets, the default),
        or anything ``numpy.histogram`` takes: ``"auto"``, ``"fd"``, ... a bucket count or
        the edges.  ``max_bins`` merges neighbouring buckets down to at most that many."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        self._get_file_writer().add_summary(
            summary.histogram(tag, values, bins, max_bins=max_bins), global_step, walltime
        )

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """Log an image (needs Pillow).

        ``img_tensor`` is ``3 x H x W`` by default; ``dataformats`` names its dimensions
        otherwise (``"HWC"``, ``"HW"``, ``"CHW"`` with 1 channel for grey...).  uint8
        values are used as they are; other dtypes are taken to lie in [0, 1]."""
        self._get_file_writer().add_summary(
            summary.image(tag, img_tensor, dataformats=dataformats), global_step, walltime
        )

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """Log a batch of images (``N x 3 x H x W`` by default, or as ``dataformats`` says)
        as one grid of up to 8 images a row (needs Pillow)."""
        self._get_file_writer().add_summary(
            summary.image(tag, img_tensor, dataformats=dataformats), global_step, walltime
        )

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Log a string (Markdown is rendered by TensorBoard's text plugin)."""
        self._get_file_writer().add_summary(summary.text(tag, text_string), global_step, walltime)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Log the graph of ``model``'s forward on ``input_to_model`` (a Tensor, or a tuple
        of the forward's arguments) for TensorBoard's graph tab.

        The forward runs once, in eval mode (the model's mode is restored afterwards),
        and every op it runs becomes a node, grouped by the module it ran in.  ``verbose``
        prints the nodes.  With ``use_strict_trace`` (the default) a model that returns
        a list or dict is an error, as in PyTorch; pass False to record its tensors."""
        self._get_file_writer().add_graph(graph(model, input_to_model, verbose, use_strict_trace))

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None, global_step=None):
        """Log one run's hyperparameters and final metrics for the HPARAMS tab.

        ``hparam_dict`` maps names to int, float, str, bool or None (left out);
        ``metric_dict`` maps metric tags to values, written as scalars.  As in PyTorch,
        they go to a sub-run ``<log_dir>/<run_name>`` (``run_name`` defaults to the current
        time), so a metric tag should not also be used by ``add_scalar`` in this run.
        ``hparam_domain_discrete`` lists the values a hyperparameter can take."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("add_hparams: hparam_dict and metric_dict must be dictionaries")
        experiment, start, end = summary.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        if not run_name:
            run_name = str(time.time())
        logdir = os.path.join(self._get_file_writer().get_logdir(), run_name)
        with SummaryWriter(log_dir=logdir) as w:
            w.file_writer.add_summary(experiment, global_step)
            w.file_writer.add_summary(start, global_step)
            w.file_writer.add_summary(end, global_step)
            for k, v in metric_dict.items():
                w.add_scalar(k, v, global_step)

    def flush(self):
        """Write everything queued to disk."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()

    def close(self):
        """Flush and close the event files (closing twice does nothing); a later ``add_*``
        call starts a new event file in ``log_dir``."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()
