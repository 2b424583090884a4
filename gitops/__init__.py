"""What the GitOps workflows (.github/workflows/) run besides the Pulumi CLI and preflight: the pull
request's preview summary and sticky comment, and the scheduled drift reports. Each is a command of its
own (`python -m gitops.<module>`), tested offline like the rest of the project; gitops.digest is the
reader of `pulumi preview --json` that the preview summary and the drift report share."""
