"""Path and query parameter types shared by the routers."""

from typing import Annotated

from fastapi import Path

#: A resource's numeric id in a path: positive and within BIGINT, so a huge number is
#: a 422 naming the parameter, never a database overflow.
IdPath = Annotated[int, Path(ge=1, le=2**62, description="Numeric id")]
