from alembic import context

from tiketi.kernel.migrate import run_env

run_env(context)
