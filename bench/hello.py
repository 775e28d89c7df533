"""The HTTP ceiling: a hello-world on the platform's server stack (FastAPI + uvicorn).

uvicorn gets the options `tiketi serve` gives it (uvloop and httptools are picked the same
way, and as many worker processes), so the gap between this and a scenario is what the
platform does per request.
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    """The smallest JSON answer FastAPI can give."""
    return {"hello": "world"}


def main() -> None:
    """Serve the hello-world on 127.0.0.1:--port."""
    parser = argparse.ArgumentParser(prog="python -m bench.hello")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "bench.hello:app",
        workers=args.workers,
        host="127.0.0.1",
        port=args.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        ws="websockets-sansio",
    )


if __name__ == "__main__":
    main()
