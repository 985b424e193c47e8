"""The package's layering, read from the source with ``ast``: no import cycle among its modules
(imports inside functions count too, so none can hide one), and the inference layers never reach
up to the pipeline, the CLI, the server or training."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "hifigan"

# modules that must not import the layers above them
LOW = ("hifigan.models", "hifigan.text", "hifigan.audio", "hifigan.checkpoints", "hifigan.pretrained",
       "hifigan.acoustic", "hifigan.vocoder", "hifigan.controls", "hifigan.cpu", "hifigan.precision",
       "hifigan.onnx_backend", "hifigan.onnx_export", "hifigan.loaders")
HIGH = ("hifigan.pipeline", "hifigan.cli", "hifigan.serve", "hifigan.train")


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    found = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict) -> set[str]:
    """The package's modules that ``name`` imports anywhere in its file. ``from hifigan import x``
    is an edge to the module ``hifigan.x`` where that exists, else to the package itself."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            out |= {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names}
    return {m for m in out if m in known and m != name}


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    known = modules(root)
    return {name: imports(name, path, known) for name, path in known.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in g[v]:
                found.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return found


def _under(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_checker_finds_a_cycle_and_a_layer_breach(tmp_path):
    pkg = tmp_path / "hifigan"
    (pkg / "models").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "models" / "__init__.py").write_text("")
    (pkg / "pipeline.py").write_text("from hifigan import vocoder\n")
    (pkg / "vocoder.py").write_text("def f():\n    from hifigan.pipeline import g\n")  # hidden in a function
    (pkg / "models" / "a.py").write_text("from .. import pipeline\n")
    g = graph(pkg)
    assert cycles(g) == [["hifigan.pipeline", "hifigan.vocoder"]]
    assert g["hifigan.models.a"] == {"hifigan.pipeline"}


def test_no_import_cycle_in_the_package():
    assert cycles(graph()) == []


def test_inference_layers_never_import_the_pipeline_cli_server_or_training():
    g = graph()
    breaches = sorted((m, d) for m, deps in g.items() if _under(m, LOW) for d in deps if _under(d, HIGH))
    assert breaches == []


def test_the_pipeline_composes_models_without_importing_a_backend():
    g = graph()
    assert not g["hifigan.pipeline"] & {"hifigan.onnx_backend", "hifigan.onnx_export"}
    assert "hifigan.onnx_backend" not in g["hifigan.onnx_export"]  # the exporter needs no runtime
    assert not any(_under(d, ("hifigan.train",)) for m, deps in g.items() if not _under(m, ("hifigan.train", "hifigan.cli"))
                   for d in deps)  # training is imported by its CLI commands only


def test_the_cli_is_one_module_per_command():
    from hifigan import cli

    names = {c.NAME for c in cli.COMMANDS}
    assert names == {"synthesize", "vocode", "prepare", "train", "extract-mels", "export", "serve", "bench"}
    for command in cli.COMMANDS:
        assert callable(command.add_parser) and callable(command.run)
    assert len((PACKAGE / "cli" / "__init__.py").read_text().splitlines()) < 60
