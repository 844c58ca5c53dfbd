# Broken on purpose: a call is not a literal, so it is reported and never executed.
{
    "name": __import__("os").getenv("USER", "Marketing Automation"),
    "version": "19.0.1.0.0",
    "depends": ["mail", "utm"],
    "license": "OEEL-1",
    "application": True,
}
