"""The dynamic providers and the Azure calls they make: what `pulumi up` runs against Azure.

The engine starts the provider process with the project root as working directory and unpickles
each provider by reference to its class, so everything here imports only from this package and
the libraries; nothing here imports the components, the config or the commands.
"""
