"""The CRM team's review pages (``/ui``): server-rendered, signed in with an API token."""
