from govern.cli.entry import main

main()
