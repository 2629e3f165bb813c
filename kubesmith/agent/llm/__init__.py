"""The LLM planner: a LangChain chat model planning through typed, checked tools.

Importing this package does not import LangChain; the chat model is built on first use.
"""

from kubesmith.agent.llm.auto import AutoPlanner
from kubesmith.agent.llm.planner import LLMPlanner
from kubesmith.agent.llm.usage import BudgetExceeded, price_of

__all__ = ["AutoPlanner", "BudgetExceeded", "LLMPlanner", "price_of"]
