"""``python -m modelserver``: the model process (started by ``modelserver.supervisor``)."""

from modelserver.app import main

main()
