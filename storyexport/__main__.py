from storyexport.cli import main

raise SystemExit(main())
