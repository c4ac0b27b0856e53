"""The YTCaption CDK app: everything the local runtime emulates, deployed to AWS."""
