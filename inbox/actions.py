from dataclasses import dataclass


@dataclass(frozen=True)
class ThreadAction:
    label: str
    url: str
    icon: str = "arrow-right"
    priority: int = 100
    classname: str = ""
