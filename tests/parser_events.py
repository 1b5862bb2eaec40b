"""Comparing event streams of parsers fed in pieces."""


def merged(events):
    """Adjacent ("data", text) events joined: parsers split text where their input was
    split, so only the joined stream is the same for every chunking."""
    out = []
    for event in events:
        if event[0] == "data" and out and out[-1][0] == "data":
            out[-1] = ("data", out[-1][1] + event[1])
        else:
            out.append(event)
    return out
