"""The offline planner: a documented grammar of common intents, deterministic and network-free.

Layout: ``text``/``grammar``/``intents_*`` parse an intent into clauses (``specs``); ``resolve``
finds the resources a clause names; ``build_*`` turn a clause into changes; ``overlay`` decides
where each change is written (base, overlay patch, ``images:``, new patch file) and
``overlay_select`` which overlay renders a resource; ``planner`` ties them together.
"""

from kubesmith.agent.offline.planner import OfflinePlanner

__all__ = ["OfflinePlanner"]
