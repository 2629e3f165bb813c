"""Policy-as-code: Kubernetes ValidatingAdmissionPolicies (CEL) evaluated offline.

``PolicyValidator`` is the entry point; :func:`available_packs` lists the built-in packs.
cel-expr-python (the ``policy`` extra) is imported only when a validator is built.
"""

from kubesmith.tools.policy.packs import available_packs
from kubesmith.tools.policy.validator import PolicyValidator

__all__ = ["PolicyValidator", "available_packs"]
