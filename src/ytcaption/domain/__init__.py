"""The job and what it produces: statuses, options, transcript, formats, errors. No AWS imports."""
