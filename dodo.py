"""doit entry point. `doit -n 4` builds exports.yaml; `doit -n 4 manifest=other.yaml` builds another manifest.

`doit progress=plain|bar|jsonl` chooses the progress output. Everything else lives in storyexport.build.
"""

from doit import get_var

from storyexport.build.entry import dodo_namespace

globals().update(dodo_namespace(get_var("manifest", "exports.yaml"), get_var("progress", "auto")))
