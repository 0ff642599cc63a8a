"""The workbench's Qt views: the main window, its panels, plots, dialogs, theme, and the
runner that moves ``workbench.model.tasks`` onto a worker thread.

Widgets show the model's state and forward the user's intent; what is decided (a
verdict, what a hex string means, which query lands where in a FRI layer) is decided
in ``workbench.model``, which never imports these modules.
"""
