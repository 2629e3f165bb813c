"""Loading, indexing and minimal-diff editing of the manifests in a repository."""

from kubesmith.workspace.document import Document
from kubesmith.workspace.kustomize import Kustomization
from kubesmith.workspace.source import DirectorySource, GitTreeSource
from kubesmith.workspace.workspace import Workspace

__all__ = ["DirectorySource", "Document", "GitTreeSource", "Kustomization", "Workspace"]
