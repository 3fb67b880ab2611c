from . import ps_demo_story
