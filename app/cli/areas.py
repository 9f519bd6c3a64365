"""`leder areas`: the commissioning areas that users and clients belong to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import AsJson, audited, in_transaction, print_rows, validated

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.areas.models import Area

cli = typer.Typer(help="Commissioning areas.", no_args_is_help=True)


@cli.command("add")
def areas_add(
    ods: Annotated[str, typer.Option(help="ODS code, e.g. 15F.")],
    name: Annotated[str, typer.Option(help="The area's name.")],
    region: Annotated[str | None, typer.Option(help="NHS England region.")] = None,
) -> None:
    """Add a commissioning area."""
    from app.areas.schemas import AreaCreate
    from app.areas.service import create_area
    from app.core.clock import SystemClock

    data = validated(AreaCreate, ods_code=ods, name=name, region=region)

    async def work(session: AsyncSession) -> Area:
        area = await create_area(session, data, SystemClock().now())
        await audited(session, "area.create", "area", area.ods_code)
        return area

    typer.echo(in_transaction(work).ods_code)


@cli.command("list")
def areas_list(as_json: AsJson = False) -> None:
    """List the areas: ODS code, name, region."""
    from app.areas.service import list_areas

    areas = in_transaction(list_areas)
    rows = [{"ods_code": a.ods_code, "name": a.name, "region": a.region} for a in areas]
    print_rows(rows, ["ods_code", "name", "region"], as_json=as_json)
