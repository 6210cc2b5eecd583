"""What a lesson's kernel and the class view agree on: where a kernel reports, how it shows
who it is, how long the server may hold it.

Both sides import these names, the kernel's link (:mod:`bpttviz.app.classroom`) and the
server (:mod:`bpttviz.serve.classview`), so that neither writes them again. Standard library
only: it stands below every layer.

A kernel finds in its environment the address of the kernel routes (:data:`URL_ENV`,
``http://127.0.0.1:8866/bpttviz/class/kernel``) and a secret (:data:`SECRET_ENV`), which it
sends as ``Authorization: bpttviz-kernel S`` (:data:`KERNEL_SCHEME`; on JupyterHub it sends
its user's own hub token, ``Authorization: token T``, instead). Then:

``POST <url>/answer``   ``{"id", "page", "lesson", "step", "choice"}``, steps and choices
                        1-based; ``id`` (:data:`ANSWER_ID`) names the answer, so that one sent
                        again (its acknowledgement lost) is stored once; 2xx: kept; a 4xx
                        other than :data:`RETRY_STATUSES`: the answer itself is refused
``GET  <url>/state``    ``?page=&lesson=&version=&hold=``: the pace and the reveals, held
                        up to :data:`HOLD_S` seconds while the version stays ``version``;
                        also the votes (``{"N": {"round", "open"}}``), ``paused`` and
                        ``experiment`` (:mod:`bpttviz.serve.classview.teaching`)
``POST <url>/result``   ``{"page", "lesson", "settings", "result", "link"}``: the page's
                        point in its lesson's class experiment

An answer may carry ``"round"``: the round of the step's vote the page chose in (1-based).

A page is a random id that :data:`PAGE_ID` matches; an answer's id matches it too.

A kernel in the class view's own process (the lecture hall's pages, one process) sends the
same requests without a socket: the server lists its routes here (:func:`serve_in_process`)
under the address it gives the kernels, and a kernel that finds its address listed
(:func:`in_process`) calls them directly. The requests, statuses and bodies are the same.
"""

import re

__all__ = ["ROUTE", "KERNEL_ROUTE", "ANSWER_PATH", "STATE_PATH", "RESULT_PATH", "URL_ENV",
           "SECRET_ENV", "KERNEL_SCHEME", "HOLD_S", "PAGE_ID", "ANSWER_ID", "RETRY_STATUSES",
           "serve_in_process", "in_process"]

#: The class view's routes on a server (under a JupyterHub service's prefix there).
ROUTE = "/bpttviz/class"
#: The kernels' routes, and the two paths under them.
KERNEL_ROUTE = ROUTE + "/kernel"
ANSWER_PATH, STATE_PATH, RESULT_PATH = "/answer", "/state", "/result"
#: The kernel's environment: where to report (``.../bpttviz/class/kernel``) and the secret.
URL_ENV, SECRET_ENV = "BPTTVIZ_CLASS_URL", "BPTTVIZ_CLASS_SECRET"
#: The scheme of the ``Authorization`` header that carries the kernels' secret.
KERNEL_SCHEME = "bpttviz-kernel"
#: How long a kernel's request for the state is held when nothing changes (a long poll); the
#: kernel waits a little longer.
HOLD_S = 20.0
#: A page's id: 8 to 64 letters, digits, ``-`` or ``_``.
PAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}\Z")
#: The field of an answer's body that names it (unique per page and answer: a random id made
#: by the page); the class view stores an answer once by it.
ANSWER_ID = "id"
#: The 4xx statuses a page sends an answer again after: they say nothing about the answer
#: (credentials not checked now, a timeout, too many at once). Any other 4xx says the answer
#: itself is wrong; every 5xx, and no answer at all, is retried.
RETRY_STATUSES = frozenset({401, 403, 408, 425, 429})

#: The kernel routes served in this process, by the address the kernels are given.
_IN_PROCESS = {}


def serve_in_process(url, call):
    """List the kernel routes at ``url`` (:data:`URL_ENV`'s value) as served in this process
    by ``call(method, target, headers, body, timeout) -> (status, body)``: ``target`` is the
    path under ``url`` with its query, ``headers`` a dict, ``body`` bytes or None; ``call``
    raises ``OSError`` when it gets no answer within ``timeout`` seconds. ``call`` None: no
    longer served here."""
    if call is None:
        _IN_PROCESS.pop(url.rstrip("/"), None)
    else:
        _IN_PROCESS[url.rstrip("/")] = call


def in_process(url):
    """The ``call`` serving the kernel routes at ``url`` in this process, or None."""
    return _IN_PROCESS.get(url.rstrip("/"))
