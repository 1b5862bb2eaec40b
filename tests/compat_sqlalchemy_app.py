"""SQLAlchemy's asyncio extension on stackful.compat.greenlet: run as a script by
tests/test_compat_sqlalchemy.py (install() must come before SQLAlchemy is imported).
Prints one line per check; exits non-zero on the first failure."""

import sys

from stackful.compat import greenlet as compat

compat.install()

import asyncio  # noqa: E402
import stackful.lowlevel  # noqa: E402

from sqlalchemy import ForeignKey, String, func, select  # noqa: E402
from sqlalchemy.exc import IntegrityError  # noqa: E402
from sqlalchemy.ext.asyncio import (AsyncAttrs, async_sessionmaker,  # noqa: E402
                                    create_async_engine)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship  # noqa: E402


class Base(AsyncAttrs, DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    books: Mapped[list["Book"]] = relationship(back_populates="author")


class Book(Base):
    __tablename__ = "book"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id"))
    author: Mapped[Author] = relationship(back_populates="books")


async def main(url):
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    print("created tables")
    session_factory = async_sessionmaker(engine, expire_on_commit=False)

    async with session_factory() as session:
        async with session.begin():
            ada = Author(name="Ada")
            session.add_all([ada, Book(title="Notes", author=ada),
                             Book(title="Sketches", author=ada), Author(name="Grace")])
    print("inserted")

    switches = stackful.lowlevel.switch_count()
    async with session_factory() as session:
        authors = (await session.scalars(select(Author).order_by(Author.name))).all()
        assert [a.name for a in authors] == ["Ada", "Grace"], authors
        books = await authors[0].awaitable_attrs.books
        assert sorted(b.title for b in books) == ["Notes", "Sketches"], books
        assert await authors[1].awaitable_attrs.books == []
        count = await session.scalar(select(func.count()).select_from(Book))
        assert count == 2, count
    moved = stackful.lowlevel.switch_count() - switches
    assert moved > 0, moved
    print("queried; relationship loaded with awaitable_attrs; %d stackful switches" % moved)

    async with session_factory() as session:
        try:
            async with session.begin():
                session.add(Author(name="Ada"))       # unique name: fails at flush
        except IntegrityError as e:
            print("integrity error:", type(e.orig).__name__)
        else:
            raise AssertionError("the duplicate insert did not fail")
        names = (await session.scalars(select(Author.name))).all()
        assert sorted(names) == ["Ada", "Grace"], names
    print("rolled back")

    async with session_factory() as session:
        await session.begin()
        session.add(Author(name="Linus"))
        await session.flush()
        assert await session.scalar(select(func.count()).select_from(Author)) == 3
        await session.rollback()
        assert await session.scalar(select(func.count()).select_from(Author)) == 2
    print("explicit rollback")

    await engine.dispose()


asyncio.run(main(sys.argv[1]))
import greenlet  # noqa: E402  (what SQLAlchemy got)

assert sys.modules["greenlet"] is compat, sys.modules["greenlet"]
assert greenlet is compat
for name in ("greenlet", "getcurrent"):
    found = [m for m in list(sys.modules.values())
             if m is not None and getattr(m, "__name__", "").startswith("sqlalchemy")
             and getattr(m, name, None) is getattr(compat, name)]
    assert found, name
print("sqlalchemy used", compat.__name__, "via", sorted(m.__name__ for m in found)[0])
